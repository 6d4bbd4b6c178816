import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { planEpisodes, evaluatePolicy } from '../../src/eval/policy';
import { calibrate } from '../../src/models/calibrate';
import { loadManifest } from '../../src/models/manifest';
import { PACKAGE_ROOT } from '../../src/msg';
import { policySpecs, splitQ } from '../../src/policy/policy';
import { policyTable, readPolicySection, writePolicySection } from '../../src/policy/results';

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
    expect(m.metrics).toMatchObject({
      case: 'all',
      completion: expect.any(Number),
      gflops: m.complexity.gflops,
    });
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

test('episode plans: random seeds 1..N, adversarial arrangements cycled, never the random-* files', () => {
  const plans = planEpisodes('all', 12);
  expect(plans.filter((p) => p.case === 'random').map((p) => p.seed)).toEqual(
    Array.from({ length: 12 }, (_, i) => i + 1),
  );
  const adv = plans.filter((p) => p.case === 'adversarial');
  expect(adv).toHaveLength(12);
  expect(new Set(adv.map((p) => p.scenario)).size).toBe(11);
  expect(adv.every((p) => !path.basename(p.scenario ?? '').startsWith('random-'))).toBe(true);
});

test('eval policy: closed-loop episodes give the documented JSON', async () => {
  const r = await evaluatePolicy({ model: SHIPPED[1], case: 'all', runs: 1, objects: 3, maxActions: 3 });
  expect(r).toMatchObject({
    model: 'policy_reduced_ptq',
    precision: 'int8',
    runs: 2,
    completion: expect.any(Number),
    actions_mean: expect.any(Number),
    latency_ms_p50: expect.any(Number),
    gflops: expect.any(Number),
    params: expect.any(Number),
  });
  expect(r).toHaveProperty('grasp_success');
  expect(r).toHaveProperty('action_efficiency');
  expect(Object.keys(r.cases as object)).toEqual(['random', 'adversarial']);
  expect(r.actions_mean).toBeLessThanOrEqual(3);
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
  expect(ranges.push_q[0]).toBeLessThan(ranges.push_q[1]);
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
      cases: {
        random: { completion: 0.5, grasp_success: 0.25, action_efficiency: null },
        adversarial: { completion: 0 },
      },
    },
    complexity: { params: 1, macs: 20, gflops: 2e-8, flops_convention: '' },
  };
  const lat = [
    { model: 'policy_full', runs: 3, decide_ms_p50: 1000, inference_ms_p50: 990 },
    { model: 'policy_reduced', runs: 3, decide_ms_p50: 5, inference_ms_p50: 2 },
  ];
  const table = policyTable([full, reduced], lat, 1);
  expect(table).toMatch(/\| policy_full \| fp32 \| not trained \| not trained \|/);
  expect(table).toMatch(
    /\| policy_reduced \| fp32 \| 50\.0 \| 25\.0 \| n\/a \| 0\.0 \| n\/a \|.* \| 300x \| 200x \|/,
  );
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
