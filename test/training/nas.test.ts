// RAM-NAS (docs/nas.md): the Python unit tests of training/nas (search space and encoding round trip,
// weight sharing, distillation, surrogates on a toy dataset, NSGA-II on ZDT1), and `npm run nas -- --budget
// quick` end to end (data, supernet, latency on this machine, surrogates, both NSGA-II searches, the proxy
// check against the runtime's metrics, three front points shipped with int8 versions and measured latency).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeDataset } from '../../src/dataset';
import { loadManifest } from '../../src/models/manifest';
import { runPythonWithStderr } from './python-tools';

const TEN_MINUTES = 10 * 60_000;
jest.setTimeout(TEN_MINUTES);

test('training/nas/test_nas.py: every test it defines runs and passes (none skipped)', async () => {
  const file = path.join(__dirname, '..', '..', 'training', 'nas', 'test_nas.py');
  const defined = [...fs.readFileSync(file, 'utf8').matchAll(/^ {4}def (test_\w+)\(/gm)].map((m) => m[1]);
  expect(defined.length).toBeGreaterThanOrEqual(11);
  const data = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-nas-data-'));
  try {
    await writeDataset({ out: data, scenes: 6, seed: 5, width: 128, height: 96, split: [100, 0, 0] });
    const { stderr } = runPythonWithStderr(['nas/test_nas.py', '-v'], { GP_TEST_DATA: data });
    // Verbose lines: `test_x (module.Class.test_x)`, then the docstring's first line if any, then `... ok`.
    const ran = [...stderr.matchAll(/^(test_\w+) \(/gm)].map((m) => m[1]);
    expect(ran.sort()).toEqual([...defined].sort());
    expect(stderr).toMatch(new RegExp(`^Ran ${defined.length} tests in .*\\n\\nOK$`, 'm'));
  } finally {
    fs.rmSync(data, { recursive: true, force: true });
  }
});

test('npm run nas -- --budget quick: every step runs and writes its outputs', () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-nas-'));
  try {
    const { stdout } = runPythonWithStderr(
      ['nas/pipeline.py', '--budget', 'quick', '--work', work],
      {},
      TEN_MINUTES,
    );
    const s = JSON.parse(stdout.trim().split('\n').pop()!) as {
      surrogate: string;
      kendall_tau: Record<string, number>;
      pareto_png: string;
      sample_efficiency_png: string;
      front: { name: string; score: number; predicted_latency_ms: number }[];
      proxy_kendall: Record<string, number | null>;
      reference: { name: string; p50_ms: number; budget_basis_p50_ms: number };
      front_latency_kendall_tau: number | null;
      shipped: {
        name: string;
        budget_ms: number;
        fraction: number;
        fits: boolean;
        front_measured_p50_ms: number;
        measured_p50_ms: number;
      }[];
      models: string;
    };
    expect(['mlp', 'cart', 'rbf', 'gp']).toContain(s.surrogate);
    expect(Object.keys(s.kendall_tau).sort()).toEqual(['cart', 'flops', 'gp', 'mlp', 'rbf']);
    for (const png of [s.pareto_png, s.sample_efficiency_png]) {
      expect(fs.readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
    }
    expect(s.front.length).toBeGreaterThan(0);
    for (const p of s.front) {
      expect(Number.isFinite(p.score) && p.score > 0).toBe(true);
      expect(p.predicted_latency_ms).toBeGreaterThan(0);
    }
    // The latency dataset names the machine, threads and provider on every record.
    const recs = fs
      .readFileSync(path.join(work, 'latency.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(recs).toHaveLength(10);
    for (const r of recs) {
      expect(r).toMatchObject({ precision: 'fp32', threads: 1, provider: 'cpu', space: 'graspnext_quick' });
      expect(typeof r.cpu).toBe('string');
      expect(Array.isArray(r.isa)).toBe(true);
      expect(r.p90_ms as number).toBeGreaterThanOrEqual(r.p50_ms as number);
    }
    expect(fs.existsSync(path.join(work, 'supernet', 'supernet.pt'))).toBe(true);
    // The proxy is checked against the runtime's six task metrics; three front points ship for three budgets.
    expect(Object.keys(s.proxy_kendall).sort()).toEqual([
      'amodal_bbox_ap',
      'amodal_mask_ap',
      'com_ap',
      'occlusion_balanced_accuracy',
      'suction_mse',
      'visible_mask_ap',
    ]);
    expect(s.reference.name).toBe('mobilenet_graspnext');
    expect(s.shipped.map((x) => [x.name, x.fraction])).toEqual([
      ['fast_graspnext_nas_l', 0.5],
      ['fast_graspnext_nas_m', 0.4],
      ['fast_graspnext_nas_s', 0.3],
    ]);
    // Points are picked by their latency measured here beside the reference, not by the surrogate's.
    expect(s.front_latency_kendall_tau === null || Math.abs(s.front_latency_kendall_tau) <= 1).toBe(true);
    for (const x of s.shipped) {
      expect(x.budget_ms).toBeCloseTo(s.reference.budget_basis_p50_ms * x.fraction, 2);
      if (x.fits) expect(x.front_measured_p50_ms).toBeLessThanOrEqual(x.budget_ms);
      for (const suffix of ['', '_int8']) {
        const { manifest } = loadManifest(path.join(s.models, `${x.name}${suffix}.json`));
        expect(manifest.precision).toBe(suffix ? 'int8' : 'fp32');
        expect(manifest.nas?.encoding.length).toBeGreaterThan(0);
        expect(manifest.nas?.measured_latency?.p50_ms).toBeGreaterThan(0);
        expect(manifest.nas?.measured_latency?.cpu).toBe(recs[0].cpu);
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
