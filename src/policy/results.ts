// The Ferraro-style table of models/RESULTS.md: full vs reduced vs PTQ vs QAT policies. Latency is
// measured here, side by side in one run (the models take turns on the same scene, so load affects all
// alike); task metrics come from each manifest's `eval policy` run (training/policy_pipeline.py writes
// them); a model without task metrics (policy_full, untrained) says so.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { percentile } from '../stats';
import { type ModelManifest } from '../models/manifest';
import { openModel } from '../models/session';
import { BinPickingSim } from '../sim';
import { type Heightmap } from './heightmap';
import { decide, policySpecs, usesSuction } from './policy';
import { observeSim, POLICY_CAMERA } from './sim-observation';
import { openSuctionSource } from './suction';

export interface PolicyLatency {
  model: string;
  runs: number;
  decide_ms_p50: number;
  inference_ms_p50: number;
}

/** Median decision and inference latency of each policy on one 10-object scene, interleaved. */
export async function benchPolicies(
  manifests: readonly string[],
  o: { runs: number; threads?: number; seed?: number },
): Promise<PolicyLatency[]> {
  const sessions = [];
  try {
    for (const m of manifests)
      sessions.push(await openModel(m, { intraOpThreads: o.threads ?? 1, warmupRuns: 1 }));
    const sim = await BinPickingSim.random({ count: 10, seed: o.seed ?? 1 }, { camera: POLICY_CAMERA });
    const suction = sessions.some((s) => usesSuction(policySpecs(s.manifest)))
      ? await openSuctionSource()
      : undefined;
    const maps: Heightmap[] = [];
    try {
      for (const s of sessions) {
        const specs = policySpecs(s.manifest);
        maps.push(
          (
            await observeSim(sim, specs.action.grid, {
              suction: usesSuction(specs) ? suction?.source : undefined,
            })
          ).heightmap,
        );
      }
    } finally {
      sim.dispose();
      await suction?.release();
    }
    const decideMs = sessions.map(() => [] as number[]);
    const inferMs = sessions.map(() => [] as number[]);
    for (let r = 0; r < o.runs; r++) {
      for (const [k, s] of sessions.entries()) {
        const t0 = process.hrtime.bigint();
        const d = await decide(s.run, policySpecs(s.manifest), maps[k]);
        decideMs[k].push(Number(process.hrtime.bigint() - t0) / 1e6);
        inferMs[k].push(d.timings.inferMs);
      }
    }
    return sessions.map((s, k) => ({
      model: s.manifest.name,
      runs: o.runs,
      decide_ms_p50: Number(percentile(decideMs[k], 50).toFixed(2)),
      inference_ms_p50: Number(percentile(inferMs[k], 50).toFixed(2)),
    }));
  } finally {
    for (const s of sessions) await s.release();
  }
}

const BEGIN = '<!-- policy results: begin (grasp-perception results --policy) -->';
const END = '<!-- policy results: end -->';

const pct = (v: unknown) => (typeof v === 'number' ? (v * 100).toFixed(1) : 'n/a');
const withCi = (v: unknown, ci: unknown) =>
  Array.isArray(ci) && ci.length === 2 ? `${pct(v)} (${pct(ci[0])}–${pct(ci[1])})` : pct(v);

const CASE_NAMES: Record<string, string> = {
  random: 'random clutter',
  'random-30': 'random clutter, 30 objects',
  'adversarial-generated': 'adversarial, generated',
  adversarial: 'adversarial, hand-made (seen in design)',
};

type Metrics = Record<string, unknown> & {
  cases?: Record<string, Record<string, unknown>>;
  seeds?: { range: string; first: number; last: number };
  failed_grasp_memory?: { radius: number; actions: number };
  objects?: number | null;
  /** The episodes' camera resolution (older records carry none: they ran at 320x240). */
  camera?: string;
};

/** The policy section's markdown from manifests and measured latencies (reference: the first). */
export function policyTable(
  manifests: readonly ModelManifest[],
  latency: readonly PolicyLatency[],
  threads: number,
): string {
  const ref = manifests[0];
  const refLat = latency[0];
  const task = manifests.flatMap((m) => {
    const t = (m.metrics ?? {}) as Metrics;
    const cases = Object.entries(t.cases ?? {});
    if (cases.length === 0) return [`| ${m.name} | ${m.precision} | not trained | | | | | |`];
    return cases.map(([c, r]) => {
      const name =
        c === 'random' && typeof t.objects === 'number'
          ? `random clutter, ${t.objects} objects`
          : (CASE_NAMES[c] ?? c);
      const lost =
        typeof r.objects_lost === 'number' ? `${r.objects_lost} of ${String(r.objects_total)}` : 'n/a';
      return `| ${m.name} | ${m.precision} | ${name} | ${String(r.runs)} | ${withCi(r.completion, r.completion_ci95)} | ${withCi(r.grasp_success, r.grasp_success_ci95)} | ${pct(r.action_efficiency)} | ${lost} |`;
    });
  });
  const cost = manifests.map((m, k) => {
    const l = latency[k];
    return `| ${m.name} | ${m.precision} | ${m.complexity.gflops.toFixed(3)} | ${(m.complexity.params / 1e6).toFixed(3)} M | ${(m.file_bytes / 1e6).toFixed(2)} | ${l.inference_ms_p50} | ${l.decide_ms_p50} | ${(ref.complexity.macs / m.complexity.macs).toFixed(0)}x | ${(refLat.decide_ms_p50 / l.decide_ms_p50).toFixed(0)}x |`;
  });
  const evaluated = manifests.map((m) => (m.metrics ?? {}) as Metrics).filter((t) => t.seeds);
  const seeds = [
    ...new Set(evaluated.map((t) => `${t.seeds!.range} seeds ${t.seeds!.first}..${t.seeds!.last}`)),
  ];
  const memory = [
    ...new Set(
      evaluated.map((t) =>
        t.failed_grasp_memory && t.failed_grasp_memory.radius > 0
          ? `on (radius ${t.failed_grasp_memory.radius} m, ${t.failed_grasp_memory.actions} actions)`
          : 'off',
      ),
    ),
  ];
  const cameras = [...new Set(evaluated.map((t) => t.camera ?? '320x240'))];
  return [
    BEGIN,
    '## Push-and-grasp policies (Ferraro-style: full vs reduced vs PTQ vs QAT)',
    '',
    'Task metrics: `grasp-perception eval policy --case all` with `--record` (VPG protocol, exploration off; docs/policy.md),',
    `on ${seeds.join('; ') || 'no recorded seeds'} (episode k of each case uses seed first + k; evaluation seeds never chose a design),`,
    `camera ${cameras.join(' / ') || 'n/a'}, failed-grasp memory ${memory.join(' / ') || 'n/a'}. Completion = every object grasped, none lost, without more than 10`,
    'consecutive failures; grasp success = successful grasps / attempts; action efficiency = objects grasped / actions; objects',
    'lost = left the workspace other than by a grasp (of all objects). In %, with Wilson 95 % intervals (grasp attempts pooled).',
    '',
    '| model | precision | case | episodes | completion | grasp success | action efficiency | objects lost |',
    '|---|---|---|---|---|---|---|---|',
    ...task,
    '',
    'Latency: one decision (rotated inputs, masks, inference, greedy action) and its inference alone, median of',
    `${String(refLat?.runs ?? 0)} interleaved runs on one scene, onnxruntime-node CPU EP, ${String(threads)} intra-op thread(s), ${os.cpus()[0]?.model ?? 'CPU'}, ${String(os.cpus().length)} cores.`,
    'GFLOPs: per decision, all rotations (1 multiply-accumulate = 1 FLOP). Ratios are to the first row.',
    '',
    '| model | precision | GFLOPs | params | file MB | inference p50 ms | decision p50 ms | compute ratio | latency ratio |',
    '|---|---|---|---|---|---|---|---|---|',
    ...cost,
    '',
    END,
  ].join('\n');
}

/** Replaces (or appends) the policy section of RESULTS.md. */
export function writePolicySection(resultsFile: string, section: string): void {
  const old = fs.existsSync(resultsFile) ? fs.readFileSync(resultsFile, 'utf8') : '# Results\n';
  const i = old.indexOf(BEGIN);
  const j = old.indexOf(END);
  const next =
    i >= 0 && j > i
      ? `${old.slice(0, i)}${section}${old.slice(j + END.length)}`
      : `${old.trimEnd()}\n\n${section}\n`;
  fs.writeFileSync(resultsFile, next);
}

/** The section as it stands in RESULTS.md ('' when absent), so regenerating the other tables keeps it. */
export function readPolicySection(resultsFile: string): string {
  if (!fs.existsSync(resultsFile)) return '';
  const old = fs.readFileSync(resultsFile, 'utf8');
  const i = old.indexOf(BEGIN);
  const j = old.indexOf(END);
  return i >= 0 && j > i ? old.slice(i, j + END.length) : '';
}

export const POLICY_MODELS = ['policy_reduced', 'policy_reduced_ptq', 'policy_reduced_qat'] as const;

export function policyManifests(models: string, full: string | undefined): string[] {
  return [...(full ? [full] : []), ...POLICY_MODELS.map((n) => path.join(models, `${n}.json`))].filter((f) =>
    fs.existsSync(f),
  );
}
