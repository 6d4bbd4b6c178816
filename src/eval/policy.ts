// `grasp-perception eval policy`: closed-loop episodes in the simulator under VPG's test protocol
// (exploration off), on random clutter (10 and 30 objects), generated adversarial arrangements and the
// hand-built ones in scenarios/, from seeds of the evaluation range (or, for design experiments, the
// design range; src/policy/seeds.ts).
// Each step: rendered RGB-D (sensor realism on, as sim_node publishes) → heightmap → policy → the
// sim node's own action executor. Metrics come from the event list (src/policy/episode.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PACKAGE_ROOT, secondsToTime } from '../msg';
import { percentile } from '../stats';
import { openModel } from '../models/session';
import { generateAdversarial } from '../policy/adversarial';
import {
  actionMessage,
  aggregateMetrics,
  type EpisodeEnd,
  episodeEnd,
  type EpisodeEvent,
  episodeMetrics,
  type EpisodeMetrics,
} from '../policy/episode';
import {
  DEFAULT_FAILED_GRASP_MEMORY,
  type FailedGrasp,
  type FailedGraspMemoryParams,
  rememberAction,
} from '../policy/grasp-memory';
import { floorHalfExtents, workspaceGrid } from '../policy/heightmap';
import { NATIVE_CAMERA, observeSim, simCamera } from '../policy/sim-observation';
import { decide, policySpecs, type PolicySpecs, usesSuction } from '../policy/policy';
import { checkSeeds, SEED_RANGES, type SeedRangeName } from '../policy/seeds';
import { type SuctionSource, openSuctionSource } from '../policy/suction';
import { BinPickingSim, type Cell, executeAction, listScenarios, loadScenario } from '../sim';

/** The protocol's cases: random clutter (10 objects, or --objects, or a cell's scenes), 30-object clutter, generated and hand-made adversarial arrangements. */
export const POLICY_CASES = ['random', 'random-30', 'adversarial-generated', 'adversarial'] as const;
export type EpisodeCase = (typeof POLICY_CASES)[number];
export type PolicyCase = EpisodeCase | 'all';

/** Episodes per case of the reported protocol (issue 17): `--runs` overrides them all. */
export const PROTOCOL_RUNS: Readonly<Record<EpisodeCase, number>> = Object.freeze({
  random: 50,
  'random-30': 30,
  'adversarial-generated': 30,
  adversarial: 30,
});

export interface PolicyEvalOptions {
  model: string;
  case: PolicyCase;
  /** Episodes per case (default PROTOCOL_RUNS). */
  runs?: number;
  /** Objects in random clutter (VPG: 10). */
  objects: number;
  /** Random episodes are this cell's scenes (its bin, camera, objects); `objects` does not apply. */
  cell?: Cell;
  threads?: number;
  /** Camera resolution (default sim_node's native 640 x 480; a cell's scenes take the size, not its intrinsics). */
  camera?: { width: number; height: number };
  /** Action limit per episode (default 5 per object). */
  maxActions?: number;
  /** Which seed range the episodes come from (default 'evaluation'); the seeds must lie inside it. */
  seedRange?: Exclude<SeedRangeName, 'training'>;
  /** Episode k of every case uses seed seedBase + k (default: the range's first seed). */
  seedBase?: number;
  /** Failed-grasp memory (default DEFAULT_FAILED_GRASP_MEMORY; radius 0 = off). */
  memory?: FailedGraspMemoryParams;
  onEpisode?: (done: number, total: number) => void;
}

export interface EpisodePlan {
  case: EpisodeCase;
  /** Scenario file (hand-made adversarial), the generator's name, or null (random clutter). */
  scenario: string | null;
  seed: number;
}

/**
 * Episode k of each case uses seed seedBase + k: the random scene, the generated arrangement, or the
 * looks of the hand-made file (cycled) it shows.
 */
export function planEpisodes(
  c: PolicyCase,
  runs: number | undefined,
  seedBase: number,
  scenarioDir = path.join(PACKAGE_ROOT, 'scenarios'),
): EpisodePlan[] {
  const cases = c === 'all' ? POLICY_CASES : [c];
  const plans: EpisodePlan[] = [];
  for (const kase of cases) {
    const n = runs ?? PROTOCOL_RUNS[kase];
    const files =
      kase === 'adversarial'
        ? listScenarios(scenarioDir).filter((f) => !path.basename(f).startsWith('random-'))
        : [];
    if (kase === 'adversarial' && files.length === 0)
      throw new Error(`${scenarioDir}: no adversarial scenario files`);
    for (let k = 0; k < n; k++) {
      const scenario =
        kase === 'adversarial'
          ? files[k % files.length]
          : kase === 'adversarial-generated'
            ? `generated-${seedBase + k}`
            : null;
      plans.push({ case: kase, scenario, seed: seedBase + k });
    }
  }
  return plans;
}

export interface EpisodeRecord {
  plan: EpisodePlan;
  events: EpisodeEvent[];
  metrics: EpisodeMetrics;
  /** Per decision: the policy's preprocess, inference and postprocess (not the heightmap), ms. */
  decisionMs: number[];
}

/** Runs one episode of the policy against a simulator until it ends. */
export async function runEpisode(
  sim: BinPickingSim,
  specs: PolicySpecs,
  run: (input: Float32Array) => Promise<Record<string, Float32Array>>,
  maxActions: number,
  suction?: SuctionSource,
  memory: FailedGraspMemoryParams = DEFAULT_FAILED_GRASP_MEMORY,
): Promise<{ events: EpisodeEvent[]; metrics: EpisodeMetrics; decisionMs: number[] }> {
  const objects = sim.objectsRemaining;
  const events: EpisodeEvent[] = [];
  const decisionMs: number[] = [];
  let failures: FailedGrasp[] = [];
  let end: EpisodeEnd | null = null;
  while (!end) {
    const { heightmap: hm } = await observeSim(sim, specs.action.grid, { suction });
    const t0 = process.hrtime.bigint();
    const d = await decide(run, specs, hm, { failures, params: memory });
    decisionMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!d.action) {
      end = 'nothing-admissible';
      break;
    }
    const a = d.action;
    const msg = actionMessage(
      a,
      { stamp: secondsToTime(sim.time), frame_id: 'world' },
      specs.action.pushLength,
    );
    const r = executeAction(sim, msg);
    const success = a.primitive === 'grasp' ? r.success : r.sceneChanged;
    failures = rememberAction(failures, { primitive: a.primitive, success, position: a.position }, memory);
    events.push({
      step: events.length + 1,
      primitive: a.primitive,
      success,
      outcome: r.outcome,
      objectsRemaining: sim.objectsRemaining,
      q: a.q,
      position: a.position,
      angle: a.angle,
    });
    end = episodeEnd(events, maxActions);
  }
  return { events, metrics: episodeMetrics(objects, events, end), decisionMs };
}

const pct = (xs: number[], p: number): number | null => (xs.length ? percentile(xs, p) : null);
const round = (v: number | null, d = 4): number | null => (v === null ? null : Number(v.toFixed(d)));

/**
 * Where a plan's scene comes from: a generated or hand-made arrangement, a cell, or random clutter;
 * with the half extents of its workspace when it is a cell's (the policy's grid follows that bin).
 */
async function planSim(
  plan: EpisodePlan,
  o: PolicyEvalOptions,
): Promise<{ sim: BinPickingSim; workspace?: [number, number] }> {
  const camera = o.camera ? simCamera(o.camera.width, o.camera.height) : NATIVE_CAMERA;
  if (plan.case === 'adversarial-generated')
    return { sim: await BinPickingSim.fromScenario(generateAdversarial(plan.seed), { camera }, plan.seed) };
  if (plan.case === 'adversarial')
    return { sim: await BinPickingSim.fromScenario(loadScenario(plan.scenario!), { camera }, plan.seed) };
  if (plan.case === 'random' && o.cell) {
    const { sim, sample } = await BinPickingSim.fromCell(o.cell, plan.seed, { size: camera });
    return { sim, workspace: floorHalfExtents(sample.workspace) };
  }
  const count = plan.case === 'random-30' ? 30 : o.objects;
  return { sim: await BinPickingSim.random({ count, seed: plan.seed }, { camera }) };
}

export async function evaluatePolicy(o: PolicyEvalOptions): Promise<Record<string, unknown>> {
  const seedRange = o.seedRange ?? 'evaluation';
  const seedBase = o.seedBase ?? SEED_RANGES[seedRange].first;
  const memory = o.memory ?? DEFAULT_FAILED_GRASP_MEMORY;
  const plans = planEpisodes(o.case, o.runs, seedBase);
  const episodesPerCase = Math.max(...plans.map((p) => p.seed - seedBase + 1));
  // Before any model loads: a seed outside the range is one line.
  checkSeeds(seedRange, seedBase, episodesPerCase, 'eval policy');
  const session = await openModel(o.model, { intraOpThreads: o.threads ?? 1 });
  const specs = policySpecs(session.manifest);
  const suction = usesSuction(specs) ? await openSuctionSource({ threads: o.threads ?? 1 }) : undefined;
  const records: EpisodeRecord[] = [];
  try {
    for (const plan of plans) {
      const { sim, workspace } = await planSim(plan, o);
      // In a cell, the grid covers that cell's bin at the policy's cell size (workspaceGrid).
      const planSpecs = workspace
        ? { ...specs, action: { ...specs.action, grid: workspaceGrid(workspace, specs.action.grid) } }
        : specs;
      try {
        const maxActions = o.maxActions ?? 5 * sim.objectsRemaining;
        const r = await runEpisode(sim, planSpecs, session.run, maxActions, suction?.source, memory);
        records.push({ plan, ...r });
      } finally {
        sim.dispose();
      }
      o.onEpisode?.(records.length, plans.length);
    }
  } finally {
    await session.release();
    await suction?.release();
  }
  const m = session.manifest;
  const interval = (ci: [number, number] | null) => (ci ? [round(ci[0])!, round(ci[1])!] : null);
  const summarise = (rs: EpisodeRecord[]) => {
    const agg = aggregateMetrics(rs.map((r) => r.metrics));
    const lat = rs.flatMap((r) => r.decisionMs);
    return {
      runs: agg.runs,
      completion: round(agg.completion),
      completion_ci95: interval(agg.completion_ci95),
      grasp_success: round(agg.grasp_success),
      grasp_success_ci95: interval(agg.grasp_success_ci95),
      action_efficiency: round(agg.action_efficiency),
      actions_mean: round(agg.actions_mean, 2),
      objects_removed_mean: round(agg.objects_removed_mean, 2),
      objects_total: agg.objects,
      objects_lost: agg.objects_lost,
      objects_lost_rate: round(agg.objects_lost_rate),
      latency_ms_p50: round(pct(lat, 50), 2),
      latency_ms_p99: round(pct(lat, 99), 2),
    };
  };
  const cases = POLICY_CASES.filter((c) => records.some((r) => r.plan.case === c));
  const byCase = Object.fromEntries(
    cases.map((c) => [c, summarise(records.filter((r) => r.plan.case === c))]),
  );
  return {
    model: m.name,
    precision: m.precision,
    case: o.case,
    objects: o.cell ? null : o.objects,
    ...(o.cell ? { cell: o.cell.name } : {}),
    seeds: { range: seedRange, first: seedBase, last: seedBase + episodesPerCase - 1 },
    camera: `${(o.camera ?? NATIVE_CAMERA).width}x${(o.camera ?? NATIVE_CAMERA).height}`,
    failed_grasp_memory: memory,
    ...summarise(records),
    gflops: m.complexity.gflops,
    params: m.complexity.params,
    file_bytes: m.file_bytes,
    cases: byCase,
    protocol:
      'VPG test protocol, exploration off: completion = every object grasped (none lost) without more than 10 consecutive failures ' +
      `(and within ${o.maxActions ?? '5 x objects'} actions); grasp success = grasps that lift / grasp attempts; ` +
      'action efficiency = objects grasped / actions; objects lost = objects that left the workspace other than by a grasp; ' +
      'ci95 = Wilson 95 % interval (grasp attempts pooled as if independent); ' +
      'latency = one policy decision (rotated inputs, masks, inference, greedy action), ms',
  };
}

/** Writes an evaluation's figures into the manifest's `metrics`, which `results --policy` tabulates. */
export function recordPolicyMetrics(manifestFile: string, result: Record<string, unknown>): void {
  const raw = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Record<string, unknown>;
  raw.metrics = Object.fromEntries(Object.entries(result).filter(([k]) => k !== 'model' && k !== 'protocol'));
  fs.writeFileSync(manifestFile, `${JSON.stringify(raw, null, 2)}\n`);
}
