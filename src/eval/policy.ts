// `grasp-perception eval policy`: closed-loop episodes in the simulator under VPG's test protocol
// (exploration off), on random clutter and on the hand-built adversarial arrangements in scenarios/.
// Each step: rendered RGB-D (sensor realism on, as sim_node publishes) → heightmap → policy → the
// sim node's own action executor. Metrics come from the event list (src/policy/episode.ts).
import * as path from 'node:path';
import { PACKAGE_ROOT, secondsToTime } from '../msg';
import { percentile } from '../stats';
import { openModel } from '../models/session';
import {
  actionMessage,
  aggregateMetrics,
  type EpisodeEnd,
  episodeEnd,
  type EpisodeEvent,
  episodeMetrics,
  type EpisodeMetrics,
} from '../policy/episode';
import { observeSim, POLICY_CAMERA } from '../policy/sim-observation';
import { decide, policySpecs, type PolicySpecs, usesSuction } from '../policy/policy';
import { type SuctionSource, openSuctionSource } from '../policy/suction';
import { BinPickingSim, type Cell, executeAction, listScenarios, loadScenario } from '../sim';

export type PolicyCase = 'random' | 'adversarial' | 'all';

export interface PolicyEvalOptions {
  model: string;
  case: PolicyCase;
  runs: number;
  /** Objects in random clutter (VPG: 10). */
  objects: number;
  /** Random episodes are this cell's scenes (its bin, camera, objects); `objects` does not apply. */
  cell?: Cell;
  threads?: number;
  /** Action limit per episode (default 5 per object). */
  maxActions?: number;
  onEpisode?: (done: number, total: number) => void;
}

export interface EpisodePlan {
  case: 'random' | 'adversarial';
  /** Scenario file (adversarial) or null (random clutter). */
  scenario: string | null;
  seed: number;
}

/** Random runs use seeds 1..N (training uses 100000 and up); adversarial runs cycle the arrangements. */
export function planEpisodes(
  c: PolicyCase,
  runs: number,
  scenarioDir = path.join(PACKAGE_ROOT, 'scenarios'),
): EpisodePlan[] {
  const plans: EpisodePlan[] = [];
  if (c !== 'adversarial') {
    for (let k = 1; k <= runs; k++) plans.push({ case: 'random', scenario: null, seed: k });
  }
  if (c !== 'random') {
    const files = listScenarios(scenarioDir).filter((f) => !path.basename(f).startsWith('random-'));
    if (files.length === 0) throw new Error(`${scenarioDir}: no adversarial scenario files`);
    for (let k = 0; k < runs; k++)
      plans.push({ case: 'adversarial', scenario: files[k % files.length], seed: k + 1 });
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
): Promise<{ events: EpisodeEvent[]; metrics: EpisodeMetrics; decisionMs: number[] }> {
  const objects = sim.objectsRemaining;
  const events: EpisodeEvent[] = [];
  const decisionMs: number[] = [];
  let end: EpisodeEnd | null = null;
  while (!end) {
    const { heightmap: hm } = await observeSim(sim, specs.action.grid, { suction });
    const t0 = process.hrtime.bigint();
    const d = await decide(run, specs, hm);
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
    events.push({
      step: events.length + 1,
      primitive: a.primitive,
      success: a.primitive === 'grasp' ? r.success : r.sceneChanged,
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

export async function evaluatePolicy(o: PolicyEvalOptions): Promise<Record<string, unknown>> {
  const session = await openModel(o.model, { intraOpThreads: o.threads ?? 1 });
  const specs = policySpecs(session.manifest);
  const suction = usesSuction(specs) ? await openSuctionSource({ threads: o.threads ?? 1 }) : undefined;
  const camera = POLICY_CAMERA;
  const plans = planEpisodes(o.case, o.runs);
  const records: EpisodeRecord[] = [];
  try {
    for (const plan of plans) {
      const sim = plan.scenario
        ? await BinPickingSim.fromScenario(loadScenario(plan.scenario), { camera }, plan.seed)
        : o.cell
          ? (await BinPickingSim.fromCell(o.cell, plan.seed, { size: camera })).sim
          : await BinPickingSim.random({ count: o.objects, seed: plan.seed }, { camera });
      try {
        const maxActions = o.maxActions ?? 5 * sim.objectsRemaining;
        const r = await runEpisode(sim, specs, session.run, maxActions, suction?.source);
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
  const summarise = (rs: EpisodeRecord[]) => {
    const agg = aggregateMetrics(rs.map((r) => r.metrics));
    const lat = rs.flatMap((r) => r.decisionMs);
    return {
      runs: agg.runs,
      completion: round(agg.completion),
      grasp_success: round(agg.grasp_success),
      action_efficiency: round(agg.action_efficiency),
      actions_mean: round(agg.actions_mean, 2),
      objects_removed_mean: round(agg.objects_removed_mean, 2),
      latency_ms_p50: round(pct(lat, 50), 2),
      latency_ms_p99: round(pct(lat, 99), 2),
    };
  };
  const cases = (['random', 'adversarial'] as const).filter((c) => records.some((r) => r.plan.case === c));
  const byCase = Object.fromEntries(
    cases.map((c) => [c, summarise(records.filter((r) => r.plan.case === c))]),
  );
  return {
    model: m.name,
    precision: m.precision,
    case: o.case,
    objects: o.cell ? null : o.objects,
    ...(o.cell ? { cell: o.cell.name } : {}),
    ...summarise(records),
    gflops: m.complexity.gflops,
    params: m.complexity.params,
    file_bytes: m.file_bytes,
    ...(o.case === 'all' ? { cases: byCase } : {}),
    protocol:
      'VPG test protocol, exploration off: completion = bin cleared without more than 10 consecutive failures ' +
      `(and within ${o.maxActions ?? '5 x objects'} actions); grasp success = grasps that lift / grasp attempts; ` +
      'action efficiency = objects grasped / actions; latency = one policy decision (rotated inputs, masks, inference, greedy action), ms',
  };
}
