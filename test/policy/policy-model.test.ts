import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planEpisodes, evaluatePolicy, runEpisode } from '../../src/eval/policy';
import { calibrate } from '../../src/models/calibrate';
import { loadManifest } from '../../src/models/manifest';
import { PACKAGE_ROOT } from '../../src/msg';
import { policySpecs, splitQ } from '../../src/policy/policy';
import { policyTable, readPolicySection, writePolicySection } from '../../src/policy/results';
import { aggregateMetrics, type EpisodeMetrics } from '../../src/policy/episode';
import { POLICY_CAMERA } from '../../src/policy/sim-observation';
import { openSuctionSource } from '../../src/policy/suction';
import { rotatedInputs } from '../../src/policy/actions';
import { CALIBRATION_SEED_BASE } from '../../src/policy/calibration';
import { observeSim } from '../../src/policy/sim-observation';
import { openModel } from '../../src/models/session';
import { BinPickingSim, Rng } from '../../src/sim';

jest.setTimeout(120_000);

const models = path.join(PACKAGE_ROOT, 'models');
const SHIPPED = ['policy_reduced', 'policy_reduced_ptq', 'policy_reduced_qat'].map((n) =>
  path.join(models, `${n}.json`),
);

test('shipped policy manifests: R rotated S x S inputs, a policy section, task metrics from eval policy', () => {
  for (const file of SHIPPED) {
    const { manifest: m } = loadManifest(file);
    const s = policySpecs(m);
    expect(m.input.shape).toEqual([s.input.rotations, s.input.channels.length, s.input.size, s.input.size]);
    expect(s.input.size).toBeGreaterThanOrEqual(
      Math.ceil(Math.SQRT2 * ((s.action.grid.x[1] - s.action.grid.x[0]) / s.action.grid.resolution)),
    );
    // Reported figures come from evaluation-range seeds (eval policy --record refuses any other).
    // The full protocol (--case all), or random clutter alone where the CPU budget allowed no more
    // (models/RESULTS.md says which).
    expect(m.metrics).toMatchObject({ gflops: m.complexity.gflops, seeds: { range: 'evaluation' } });
    expect(['all', 'random']).toContain((m.metrics as { case: string }).case);
    const completion = (m.metrics as { completion: unknown }).completion;
    expect(Number.isFinite(completion)).toBe(true);
    expect(completion).toBeGreaterThanOrEqual(0);
    expect(completion).toBeLessThanOrEqual(1);
  }
});

test('a manifest whose input shape disagrees with its policy section is refused by name', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-policy-'));
  const raw = JSON.parse(fs.readFileSync(SHIPPED[0], 'utf8')) as { input: { shape: number[] } };
  raw.input.shape[0] = 3;
  fs.writeFileSync(path.join(dir, 'p.json'), JSON.stringify(raw));
  expect(() => loadManifest(path.join(dir, 'p.json'), { verifyModel: false })).toThrow(
    /p\.json: input\.shape \[3,.*\] must be \[rotations \(8\), channels, S, S\]/,
  );
  const seg = loadManifest(path.join(models, 'attendseg.json')).manifest;
  expect(() => policySpecs(seg)).toThrow(/attendseg: is a segmentation model, not a policy/);
});

test('splitQ checks the output sizes', () => {
  const specs = policySpecs(loadManifest(SHIPPED[1]).manifest);
  expect(() => splitQ({ push_q: new Float32Array(3), grasp_q: new Float32Array(3) }, specs)).toThrow(
    /push_q\/grasp_q need \d+ values each/,
  );
});

test('episode plans: seed B + k in every case, hand-made arrangements cycled (never the random-* files)', () => {
  const plans = planEpisodes('all', 12, 20_000);
  expect(new Set(plans.map((p) => p.case))).toEqual(
    new Set(['random', 'random-30', 'adversarial-generated', 'adversarial']),
  );
  for (const c of ['random', 'random-30', 'adversarial-generated', 'adversarial'])
    expect(plans.filter((p) => p.case === c).map((p) => p.seed)).toEqual(
      Array.from({ length: 12 }, (_, i) => 20_000 + i),
    );
  const adv = plans.filter((p) => p.case === 'adversarial');
  expect(new Set(adv.map((p) => p.scenario)).size).toBe(11);
  expect(adv.every((p) => !path.basename(p.scenario ?? '').startsWith('random-'))).toBe(true);
  // Without --runs, the protocol's episode counts.
  const protocol = planEpisodes('all', undefined, 20_000);
  expect(
    ['random', 'random-30', 'adversarial-generated', 'adversarial'].map(
      (c) => protocol.filter((p) => p.case === c).length,
    ),
  ).toEqual([50, 30, 30, 30]);
});

/** Per-case summaries of `eval policy`, with the overall numbers they combine into. */
type CaseSummary = { runs: number; completion: number; actions_mean: number; objects_removed_mean: number };

test('eval policy: closed-loop episodes give the documented JSON, its totals the runs of its cases', async () => {
  const r = await evaluatePolicy({
    model: SHIPPED[1],
    case: 'all',
    runs: 1,
    objects: 3,
    maxActions: 3,
    seedRange: 'design',
  });
  expect(r).toMatchObject({
    model: 'policy_reduced_ptq',
    precision: 'int8',
    case: 'all',
    objects: 3,
    runs: 4,
    seeds: { range: 'design', first: 1, last: 1 },
  });
  for (const k of ['completion', 'action_efficiency', 'actions_mean', 'objects_lost', 'latency_ms_p50']) {
    expect([k, Number.isFinite(r[k])]).toEqual([k, true]);
  }
  const ci = r.completion_ci95 as number[];
  expect(ci[0]).toBeLessThanOrEqual(r.completion as number);
  expect(ci[1]).toBeGreaterThanOrEqual(r.completion as number);
  const { manifest: m } = loadManifest(SHIPPED[1]);
  expect([r.gflops, r.params, r.file_bytes]).toEqual([
    m.complexity.gflops,
    m.complexity.params,
    m.file_bytes,
  ]);
  const cases = r.cases as Record<string, CaseSummary>;
  const names = ['random', 'random-30', 'adversarial-generated', 'adversarial'];
  expect(Object.keys(cases)).toEqual(names);
  const mean = (k: keyof CaseSummary) => names.reduce((a, c) => a + cases[c][k], 0) / names.length;
  expect(r.completion).toBeCloseTo(mean('completion'), 4);
  expect(r.actions_mean).toBeCloseTo(mean('actions_mean'), 2);
  expect(r.objects_removed_mean).toBeCloseTo(mean('objects_removed_mean'), 2);
  // Three actions cannot clear more than three objects; a bin is cleared only by removing all of them.
  expect(r.actions_mean).toBeLessThanOrEqual(3);
  expect(cases.random.objects_removed_mean).toBeLessThanOrEqual(3);
  // Completion needs all three grasped, so all three removed.
  if (cases.random.completion === 1) expect(cases.random.objects_removed_mean).toBe(3);
});

test('eval policy: the shipped policy clears 3-object bins, its actions far more efficient than random ones', async () => {
  const objects = 3;
  const r = await evaluatePolicy({
    model: SHIPPED[2],
    case: 'random',
    runs: 2,
    objects,
    seedRange: 'design',
  });
  // The trivial baseline: the same scenes (design seeds 1..2) with uniformly random Q maps, i.e. a random action
  // among the admissible ones, for 8 actions each. Its grasps mostly succeed (the grasp mask already keeps
  // them on object tops), but it mostly pushes: the policy's skill is choosing what to do, which action
  // efficiency (objects grasped / actions) measures.
  const { manifest: m } = loadManifest(SHIPPED[2]);
  const specs = policySpecs(m);
  const rng = new Rng(5);
  const randomQ = () =>
    Promise.resolve(
      Object.fromEntries(
        m.outputs.map((o) => [
          o.name,
          Float32Array.from({ length: o.shape.reduce((a, b) => a * b, 1) }, () => rng.next()),
        ]),
      ),
    );
  const baseline: EpisodeMetrics[] = [];
  const suction = await openSuctionSource({ threads: 1 }); // the masks' input; the Q maps ignore it
  try {
    for (const seed of [1, 2]) {
      const sim = await BinPickingSim.random({ count: objects, seed }, { camera: POLICY_CAMERA });
      try {
        baseline.push((await runEpisode(sim, specs, randomQ, 8, suction.source)).metrics);
      } finally {
        sim.dispose();
      }
    }
  } finally {
    await suction.release();
  }
  const random = aggregateMetrics(baseline);
  expect(r.completion).toBe(1);
  expect(r.objects_removed_mean).toBe(objects);
  expect(Number(r.grasp_success)).toBeGreaterThan(0);
  expect(Number(r.action_efficiency)).toBeCloseTo(objects / Number(r.actions_mean), 3);
  expect(random.action_efficiency).not.toBeNull();
  expect(Number(r.action_efficiency)).toBeGreaterThan(2 * random.action_efficiency! + 0.2);
});

test('policy calibration: simulator heightmaps through the node preprocess, one range per tensor', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-calib-'));
  const { manifest: m, modelPath } = loadManifest(SHIPPED[0]);
  // Calibrating the model's own outputs: the ranges of push_q and grasp_q over two scenes.
  fs.writeFileSync(path.join(dir, 't.json'), JSON.stringify({ tensors: m.outputs.map((o) => o.name) }));
  const r = await calibrate({
    manifest: SHIPPED[0],
    onnx: modelPath,
    tensors: path.join(dir, 't.json'),
    images: 2,
    out: path.join(dir, 'r.json'),
  });
  expect(r).toEqual({ tensors: 2, images: 2 });
  const ranges = (
    JSON.parse(fs.readFileSync(path.join(dir, 'r.json'), 'utf8')) as { ranges: Record<string, number[]> }
  ).ranges;
  // Independently: the calibration scenes (training-range seeds 200000 and 200001, one and two objects,
  // never the evaluation seeds 1..N) observed and rotated by the node's stages, the model run through the
  // node's session, min and max taken here.
  const specs = policySpecs(m);
  const model = await openModel(SHIPPED[0], { intraOpThreads: 1 });
  const suction = await openSuctionSource({ threads: 1 });
  const expected = Object.fromEntries(m.outputs.map((o) => [o.name, [Infinity, -Infinity]]));
  try {
    for (const k of [0, 1]) {
      const sim = await BinPickingSim.random(
        { count: 1 + k, seed: CALIBRATION_SEED_BASE + k },
        { camera: POLICY_CAMERA },
      );
      try {
        const { heightmap } = await observeSim(sim, specs.action.grid, { suction: suction.source });
        const out = await model.run(rotatedInputs(heightmap, specs.input));
        for (const [name, range] of Object.entries(expected)) {
          for (const v of out[name]) {
            range[0] = Math.min(range[0], v);
            range[1] = Math.max(range[1], v);
          }
        }
      } finally {
        sim.dispose();
      }
    }
  } finally {
    await model.release();
    await suction.release();
  }
  expect(CALIBRATION_SEED_BASE).toBeGreaterThanOrEqual(100_000);
  for (const [name, [lo, hi]] of Object.entries(expected)) {
    expect(hi - lo).toBeGreaterThan(0.1);
    expect(Math.abs(ranges[name][0] - lo)).toBeLessThan(1e-4 * (hi - lo));
    expect(Math.abs(ranges[name][1] - hi)).toBeLessThan(1e-4 * (hi - lo));
  }
});

test('the policy table of RESULTS.md: ratios to policy_full, untrained rows say so, the section is replaced in place', () => {
  const full = {
    ...loadManifest(SHIPPED[0]).manifest,
    name: 'policy_full',
    metrics: {},
    complexity: { params: 2, macs: 6000, gflops: 6e-6, flops_convention: '' },
  };
  const reduced = {
    ...loadManifest(SHIPPED[0]).manifest,
    metrics: {
      runs: 4,
      objects: 10,
      seeds: { range: 'evaluation', first: 10_000, last: 10_001 },
      camera: '640x480',
      failed_grasp_memory: { radius: 0.03, actions: 10 },
      cases: {
        random: {
          runs: 2,
          completion: 0.5,
          completion_ci95: [0.0945, 0.9055],
          grasp_success: 0.25,
          grasp_success_ci95: [0.0456, 0.6994],
          action_efficiency: null,
          objects_lost: 1,
          objects_total: 20,
        },
        adversarial: { runs: 2, completion: 0, objects_lost: 0, objects_total: 6 },
      },
    },
    complexity: { params: 1, macs: 20, gflops: 2e-8, flops_convention: '' },
  };
  const lat = [
    { model: 'policy_full', runs: 3, decide_ms_p50: 1000, inference_ms_p50: 990 },
    { model: 'policy_reduced', runs: 3, decide_ms_p50: 5, inference_ms_p50: 2 },
  ];
  const table = policyTable([full, reduced], lat, 1);
  expect(table).toMatch(/\| policy_full \| fp32 \| not trained \|/);
  expect(table).toContain(
    '| policy_reduced | fp32 | random clutter, 10 objects | 2 | 50.0 (9.4–90.5) | 25.0 (4.6–69.9) | n/a | 1 of 20 |',
  );
  expect(table).toContain(
    '| policy_reduced | fp32 | adversarial, hand-made (seen in design) | 2 | 0.0 | n/a | n/a | 0 of 6 |',
  );
  expect(table).toMatch(
    /on evaluation seeds 10000\.\.10001 .*\n.*camera 640x480, failed-grasp memory on \(radius 0\.03 m, 10 actions\)/,
  );
  expect(table).toMatch(/\| policy_reduced \| fp32 \| 0\.000 \|.* \| 300x \| 200x \|/);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-results-'));
  const file = path.join(dir, 'RESULTS.md');
  fs.writeFileSync(file, '# Results\n\nperception tables\n');
  writePolicySection(file, table);
  writePolicySection(file, table);
  const text = fs.readFileSync(file, 'utf8');
  expect(text.startsWith('# Results\n\nperception tables\n')).toBe(true);
  expect(text.split('## Push-and-grasp policies')).toHaveLength(2);
  expect(readPolicySection(file)).toBe(table);
});
