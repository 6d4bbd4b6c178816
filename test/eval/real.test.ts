// `eval real` on a tiny generated fixture with known answers: frame files in the real-frames layout,
// the geometric source (no model), metrics worked out by hand; and one-line errors naming the file.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { evaluateReal, frameMetrics, type LabelledFrame, loadLabelledFrame } from '../../src/eval/real';
import { encodePng } from '../../src/image';
import { graspStageFrom, PERCEPTION_DEFAULTS, perceptionParamsFrom } from '../../src/nodes/perception/node';
import { rgbImage } from '../../src/perception/preprocess';

const W = 160;
const H = 120;
const F = 150;
const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: '' };

/** A fronto-parallel floor 0.6 m away; each box: a square `size` px wide, `height` m above the floor. */
function writeFrame(
  dir: string,
  boxes: { u: number; v: number; size: number; height: number; id: number }[],
  meta?: object,
): void {
  fs.mkdirSync(dir, { recursive: true });
  const mm = new Uint16Array(W * H);
  const objects = new Uint8Array(W * H);
  for (let i = 0; i < W * H; i++) mm[i] = 600;
  for (const b of boxes) {
    for (let v = b.v - b.size / 2; v < b.v + b.size / 2; v++) {
      for (let u = b.u - b.size / 2; u < b.u + b.size / 2; u++) {
        mm[v * W + u] = Math.round(600 - 1000 * b.height);
        objects[v * W + u] = b.id;
      }
    }
  }
  const image = (encoding: string, step: number, data: Uint8Array) => ({
    header,
    width: W,
    height: H,
    encoding,
    is_bigendian: 0,
    step,
    data,
  });
  fs.writeFileSync(path.join(dir, 'rgb.png'), encodePng(rgbImage(W, H, new Uint8Array(W * H * 3).fill(128))));
  fs.writeFileSync(path.join(dir, 'depth.png'), encodePng(image('16UC1', 2 * W, new Uint8Array(mm.buffer))));
  fs.writeFileSync(path.join(dir, 'objects.png'), encodePng(image('mono8', W, objects)));
  fs.writeFileSync(
    path.join(dir, 'camera.yaml'),
    `image_width: ${W}\nimage_height: ${H}\ncamera_name: fixture\ncamera_matrix:\n  rows: 3\n  cols: 3\n  data: [${F}, 0, ${(W - 1) / 2}, 0, ${F}, ${(H - 1) / 2}, 0, 0, 1]\n` +
      'distortion_model: plumb_bob\ndistortion_coefficients:\n  rows: 1\n  cols: 5\n  data: [0, 0, 0, 0, 0]\n',
  );
  if (meta) fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
}

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-real-'));
  // Two 5 cm boxes (each 24 px: 96 mm at 0.6 m; a 10 mm disc is ~2.5 px) and an empty floor.
  writeFrame(path.join(root, 'a_two_boxes'), [
    { u: 45, v: 60, size: 24, height: 0.05, id: 1 },
    { u: 110, v: 60, size: 24, height: 0.05, id: 2 },
  ]);
  writeFrame(path.join(root, 'b_empty'), [], { empty_scene: true, instances_reliable: true });
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const options = (data: string) => ({
  data,
  stage: graspStageFrom({ ...PERCEPTION_DEFAULTS, grasp_source: 'geometric' }),
  params: perceptionParamsFrom(PERCEPTION_DEFAULTS),
});

test('the geometric source on the fixture: every grasp on a box, both boxes found, none on the empty floor', async () => {
  const m = await evaluateReal(options(root));
  expect(m.frames).toBe(2);
  expect(m.model).toBeNull();
  expect(m.precision_at['1']).toEqual({ mean: 1, frames: 1 });
  expect(m.precision_at['10']).toEqual({ mean: 1, frames: 1 });
  expect(m.recall_at_10).toEqual({ value: 1, frames: 1, objects: 2 });
  expect(m.confident_off_objects).toBe(0);
  expect(m.confident_on_empty).toEqual({ grasps: 0, frames: 1 });
  const [boxes, empty] = m.per_frame;
  expect(boxes.frame).toBe('a_two_boxes');
  expect(boxes.grasps).toBeGreaterThanOrEqual(2);
  expect(boxes.confident).toBeGreaterThanOrEqual(2);
  expect(empty.grasps).toBe(0);
  // The random-pixel baseline: 2 boxes of 24x24 (+3 px) in 160x120.
  expect(boxes.random_pixel_precision).toBeCloseTo((2 * 30 * 30) / (W * H), 2);
});

test('frameMetrics: precision divides by min(k, grasps), recall counts distinct objects, hits within 3 px', () => {
  const f = loadLabelledFrame(path.join(root, 'a_two_boxes'));
  const g = (u: number, v: number, score: number) => ({
    u,
    v,
    score,
    point: { x: 0, y: 0, z: 0.6 },
    normal: { x: 0, y: 0, z: -1 },
    orientation: { x: 0, y: 0, z: 0, w: 1 },
    depthRepaired: false,
    planeRms: 0,
    instanceId: -1,
  });
  // Box 1 spans u 33..56: u 59 is 3 px off (a hit), u 60 is 4 px off (a miss).
  const m = frameMetrics(f, [g(45, 60, 0.9), g(59, 60, 0.8), g(60, 60, 0.7)], 0);
  expect(m.precision_at).toEqual({ '1': 1, '5': 2 / 3, '10': 2 / 3 });
  expect(m.recall_at_10).toBe(0.5);
  expect(m.confident_off_objects).toBe(1);
  expect(frameMetrics(f, [], 0).precision_at['1']).toBe(0);
  const empty: LabelledFrame = { ...f, emptyScene: true };
  expect(frameMetrics(empty, [g(45, 60, 0.9)], 0).precision_at['1']).toBeNull();
});

test('a missing or corrupt frame file is one line naming the file', async () => {
  const bad = path.join(root, 'bad');
  writeFrame(path.join(bad, 'f'), []);
  fs.rmSync(path.join(bad, 'f', 'depth.png'));
  await expect(evaluateReal(options(bad))).rejects.toThrow(`${path.join(bad, 'f', 'depth.png')}: missing`);
  writeFrame(path.join(bad, 'f'), []);
  fs.writeFileSync(path.join(bad, 'f', 'objects.png'), 'not a png');
  await expect(evaluateReal(options(bad))).rejects.toThrow(
    new RegExp(`^${path.join(bad, 'f', 'objects.png')}: `),
  );
  fs.writeFileSync(path.join(bad, 'f', 'meta.json'), '{"empty_scene": "yes"}');
  writeFrame(path.join(bad, 'f'), []);
  fs.writeFileSync(path.join(bad, 'f', 'meta.json'), '{"empty_scene": "yes"}');
  await expect(evaluateReal(options(bad))).rejects.toThrow(/meta\.json: empty_scene must be true or false/);
  await expect(
    evaluateReal({ ...options(bad), stage: { ...options(bad).stage, source: 'network' } }),
  ).rejects.toThrow(/meta\.json/);
});
