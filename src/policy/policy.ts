// The policy's pipeline: heightmap → rotated inputs (preprocess) → Q maps (infer) → masked greedy action
// (postprocess). Stages are pure functions on plain data; `decide` chains them around a model session.
import { type ModelManifest, ModelManifestError, type PolicyParams } from '../models/manifest';
import { type ModelSession } from '../models/session';
import {
  actionMasks,
  type ActionMasks,
  greedyAction,
  type PolicyAction,
  type PolicyActionSpec,
  type PolicyChannel,
  type PolicyInputSpec,
  rotatedInputs,
} from './actions';
import { type FailedGrasp, type FailedGraspMemoryParams, suppressFailedGrasps } from './grasp-memory';
import { type Heightmap } from './heightmap';

export interface PolicySpecs {
  input: PolicyInputSpec;
  action: PolicyActionSpec;
}

const POLICY_CHANNELS: readonly string[] = ['red', 'green', 'blue', 'height', 'suction'];

/** The policy contract of a manifest (written by training/policy_export.py). */
export function policySpecs(m: ModelManifest): PolicySpecs {
  const p: PolicyParams | undefined = m.policy;
  if (m.task !== 'policy' || !p) throw new ModelManifestError(m.name, `is a ${m.task} model, not a policy`);
  const bad = m.input.channels.find((c) => !POLICY_CHANNELS.includes(c));
  if (bad)
    throw new ModelManifestError(
      m.name,
      `policy input channel '${bad}' is not one of ${POLICY_CHANNELS.join(', ')}`,
    );
  const [rotations, , size] = m.input.shape;
  return {
    input: {
      size,
      rotations,
      channels: m.input.channels as PolicyChannel[],
      mean: m.input.mean,
      std: m.input.std,
    },
    action: { grid: p.grid, pushLength: p.push_length, objectHeight: p.object_height },
  };
}

export const usesSuction = (s: PolicySpecs): boolean => s.input.channels.includes('suction');

export interface PolicyDecision {
  /** Null when nothing in the workspace is admissible (it looks empty). */
  action: PolicyAction | null;
  /** R x S x S push Q maps and the S x S grasp Q map (rotation 0), in the rotated input frames. */
  pushQ: Float32Array;
  graspQ: Float32Array;
  masks: ActionMasks;
  timings: { preprocessMs: number; inferMs: number; postprocessMs: number };
}

/** The network's outputs, split: push maps of every rotation, grasp map of rotation 0. */
export function splitQ(
  out: Record<string, Float32Array>,
  specs: PolicySpecs,
): { pushQ: Float32Array; graspQ: Float32Array } {
  const { size, rotations } = specs.input;
  const push = out.push_q;
  const grasp = out.grasp_q;
  const expected = rotations * size * size;
  if (push?.length !== expected || grasp?.length !== expected) {
    throw new Error(`policy outputs push_q/grasp_q need ${expected} values each (R x 1 x S x S)`);
  }
  return { pushQ: push, graspQ: grasp.subarray(0, size * size) };
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

/**
 * One decision: the greedy action on a heightmap, `run` being the policy model's inference; with a
 * failed-grasp memory, grasps near its recent failures are not admissible (src/policy/grasp-memory.ts).
 */
export async function decide(
  run: ModelSession['run'],
  specs: PolicySpecs,
  hm: Heightmap,
  memory?: { failures: readonly FailedGrasp[]; params: FailedGraspMemoryParams },
): Promise<PolicyDecision> {
  let t = process.hrtime.bigint();
  const input = rotatedInputs(hm, specs.input);
  const admissible = actionMasks(hm, specs.input, specs.action);
  const masks = memory
    ? suppressFailedGrasps(admissible, memory.failures, hm, specs.input, specs.action.grid, memory.params)
    : admissible;
  const preprocessMs = ms(t);
  t = process.hrtime.bigint();
  const out = await run(input);
  const inferMs = ms(t);
  t = process.hrtime.bigint();
  const { pushQ, graspQ } = splitQ(out, specs);
  const action = greedyAction(pushQ, graspQ, masks, hm, specs.input, specs.action.grid);
  return { action, pushQ, graspQ, masks, timings: { preprocessMs, inferMs, postprocessMs: ms(t) } };
}
