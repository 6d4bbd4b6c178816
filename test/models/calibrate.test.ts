// int8 calibration ranges checked against an independent computation on a small fixture: the fp32 model
// run through the nodes' session on the training scenes, min and max taken here. Calibration reads the
// training split only: a dataset without one is refused, never calibrated on its test scenes.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadScene, openDataset, writeDataset } from '../../src/dataset';
import { calibrate } from '../../src/models/calibrate';
import { loadManifest } from '../../src/models/manifest';
import { openModel } from '../../src/models/session';
import { PACKAGE_ROOT } from '../../src/msg';
import { modelInput, rgbImage } from '../../src/perception/preprocess';

jest.setTimeout(60_000);

const MANIFEST = path.join(PACKAGE_ROOT, 'models', 'attendseg.json');
let dir = '';
let data = '';
let noTrain = '';

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-calibrate-'));
  data = path.join(dir, 'data');
  noTrain = path.join(dir, 'no-train');
  const common = { seed: 21, width: 160, height: 128, objects: [3, 8] as [number, number] };
  await writeDataset({ ...common, out: data, scenes: 3, split: [67, 0, 33] });
  await writeDataset({ ...common, out: noTrain, scenes: 2, split: [0, 50, 50] });
  const { manifest: m } = loadManifest(MANIFEST);
  fs.writeFileSync(path.join(dir, 'tensors.json'), JSON.stringify({ tensors: [m.outputs[0].name] }));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = (dataDir: string) => {
  const { modelPath } = loadManifest(MANIFEST);
  return {
    manifest: MANIFEST,
    onnx: modelPath,
    tensors: path.join(dir, 'tensors.json'),
    data: dataDir,
    images: 64,
    out: path.join(dir, 'ranges.json'),
  };
};

test('min-max ranges over the training scenes equal an independent run of the model on them', async () => {
  const ds = openDataset(data);
  expect([ds.splits.train.images.length, ds.splits.test.images.length]).toEqual([2, 1]);
  const r = await calibrate(options(data));
  expect(r).toEqual({ tensors: 1, images: 2 }); // the 2 training scenes, not the test one
  const written = JSON.parse(fs.readFileSync(path.join(dir, 'ranges.json'), 'utf8')) as {
    method: string;
    images: number;
    ranges: Record<string, [number, number]>;
  };
  const model = await openModel(MANIFEST, { intraOpThreads: 1 });
  const m = model.manifest;
  let lo = Infinity;
  let hi = -Infinity;
  try {
    for (const image of ds.splits.train.images) {
      const scene = loadScene(ds, image, []);
      // The scene at its own (camera) resolution through the model's input contract, as the node feeds it.
      const { width, height, intrinsics } = image;
      const out = await model.run(
        modelInput(m, {
          color: rgbImage(width, height, scene.rgb),
          depth: { width, height, metres: scene.depth },
          intrinsics,
        }),
      );
      for (const v of out[m.outputs[0].name]) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
  } finally {
    await model.release();
  }
  expect(written.method).toBe('min-max');
  expect(written.images).toBe(2);
  const [wlo, whi] = written.ranges[m.outputs[0].name];
  expect(hi - lo).toBeGreaterThan(1); // logits: a real range, not a constant
  // Thread counts may change the float summation order: agree to 1e-4 of the range.
  expect(Math.abs(wlo - lo)).toBeLessThan(1e-4 * (hi - lo));
  expect(Math.abs(whi - hi)).toBeLessThan(1e-4 * (hi - lo));
});

test('a dataset without a training split is refused by name, not calibrated on its test split', async () => {
  const out = path.join(dir, 'refused.json');
  await expect(calibrate({ ...options(noTrain), out })).rejects.toThrow(
    /no-train: no training split to calibrate on \(2 scenes: 1 val, 1 test\); calibration never reads the test split/,
  );
  expect(fs.existsSync(out)).toBe(false);
});
