// `grasp-perception eval perception|segmentation` on a small simulator dataset with the shipped models.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain } from '../cli/run-main';
import { writeDataset } from '../../src/dataset';
import { PACKAGE_ROOT } from '../../src/msg';

jest.setTimeout(120_000);

const MODELS = path.join(PACKAGE_ROOT, 'models');
let data = '';
let wrongSize = '';

beforeAll(async () => {
  data = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-eval-'));
  await writeDataset({ out: data, scenes: 4, seed: 11, width: 160, height: 128, split: [50, 0, 50] });
  wrongSize = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-eval-'));
  await writeDataset({ out: wrongSize, scenes: 1, seed: 11, width: 64, height: 48, split: [0, 0, 100] });
});
afterAll(() => {
  for (const d of [data, wrongSize]) fs.rmSync(d, { recursive: true, force: true });
});

const cli = runMain;

const fraction = expect.any(Number);

test('eval perception prints one JSON object with every metric', async () => {
  const r = await cli([
    'eval',
    'perception',
    '--model',
    path.join(MODELS, 'fast_graspnext.json'),
    '--data',
    data,
    '--json',
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const m = JSON.parse(r.out) as Record<string, number | string>;
  expect(m).toMatchObject({
    images: 2,
    split: 'test',
    amodal_bbox_ap: fraction,
    visible_mask_ap: fraction,
    amodal_mask_ap: fraction,
    occlusion_accuracy: fraction,
    com_ap: fraction,
    suction_mse: fraction,
    params: fraction,
    gflops: fraction,
    latency_ms_p50: fraction,
    latency_ms_p90: fraction,
  });
  for (const k of ['amodal_bbox_ap', 'visible_mask_ap', 'amodal_mask_ap', 'com_ap', 'suction_mse']) {
    expect(m[k]).toBeGreaterThanOrEqual(0);
    expect(m[k]).toBeLessThanOrEqual(1);
  }
  // A trained model finds objects: far above a random detector's near-zero AP.
  expect(m.amodal_bbox_ap).toBeGreaterThan(0.2);
});

test('eval segmentation prints miou, pixel accuracy, params, size and latency', async () => {
  const r = await cli([
    'eval',
    'segmentation',
    '--model',
    path.join(MODELS, 'attendseg.json'),
    '--data',
    data,
    '--json',
  ]);
  expect(r.code).toBe(0);
  const m = JSON.parse(r.out) as Record<string, number>;
  expect(m).toMatchObject({
    miou: fraction,
    pixel_accuracy: fraction,
    params: fraction,
    size_bytes: fraction,
    latency_ms_p50: fraction,
  });
  expect(m.pixel_accuracy).toBeGreaterThan(0.5);
});

test('wrong task, wrong size and a missing manifest are one readable line each, exit 1', async () => {
  const seg = await cli([
    'eval',
    'perception',
    '--model',
    path.join(MODELS, 'attendseg.json'),
    '--data',
    data,
  ]);
  expect(seg.code).toBe(1);
  expect(seg.err).toMatch(
    /^grasp-perception: .*attendseg\.json: a segmentation model; eval perception needs a perception model\n$/,
  );
  const size = await cli([
    'eval',
    'perception',
    '--model',
    path.join(MODELS, 'fast_graspnext.json'),
    '--data',
    wrongSize,
  ]);
  expect(size.code).toBe(1);
  expect(size.err).toMatch(/is 64x48, fast_graspnext takes 160x128/);
  expect(size.err.trim().split('\n')).toHaveLength(1);
  const missing = await cli(['eval', 'segmentation', '--model', '/nonexistent/m.json', '--data', data]);
  expect(missing.code).toBe(1);
  expect(missing.err).toBe('grasp-perception: /nonexistent/m.json: model manifest not found\n');
});
