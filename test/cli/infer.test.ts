// `grasp-perception infer` on a simulator render: result.json and overlay.png, checked against the
// simulator's ground truth.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runMain } from './run-main';
import {
  calibrationYamlFromCameraInfo,
  cameraInfoFromModel,
  decodePng,
  encodeDepth16,
  encodePng,
} from '../../src/image';
import { BinPickingSim, type SimFrame } from '../../src/sim';

jest.setTimeout(60_000);

let dir = '';
let frame: SimFrame;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-infer-'));
  const sim = await BinPickingSim.random(
    { count: 8, seed: 21 },
    { camera: { width: 640, height: 480, fx: 615, fy: 615 } },
  );
  frame = sim.frame({ realism: true });
  sim.dispose();
  const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'camera_color_optical_frame' };
  const { width, height } = frame;
  fs.writeFileSync(
    path.join(dir, 'rgb.png'),
    encodePng({ header, width, height, encoding: 'rgb8', is_bigendian: 0, step: width * 3, data: frame.rgb }),
  );
  fs.writeFileSync(path.join(dir, 'depth.png'), encodePng(encodeDepth16(frame.depth, width, height, header)));
  fs.writeFileSync(
    path.join(dir, 'ci.yaml'),
    calibrationYamlFromCameraInfo(cameraInfoFromModel(frame.intrinsics, header), 'sim'),
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const cli = runMain;

const files = (out: string) => [
  '--rgb',
  path.join(dir, 'rgb.png'),
  '--depth',
  path.join(dir, 'depth.png'),
  '--camera-info',
  path.join(dir, 'ci.yaml'),
  '--out',
  out,
];

interface Result {
  image: { width: number; height: number };
  grasps: {
    u: number;
    v: number;
    score: number;
    position: { x: number; y: number; z: number };
    instance_id: number;
  }[];
  instances: {
    id: number;
    amodal_box: { x0: number; x1: number };
    occluded: boolean;
    center_of_mass: unknown;
  }[];
}

test('writes result.json with grasps and instances on the objects, and overlay.png', async () => {
  const out = path.join(dir, 'out');
  const r = await cli(['infer', ...files(out)]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as Result;
  expect(result.image).toMatchObject({ width: 640, height: 480 });
  expect(result.grasps.length).toBeGreaterThanOrEqual(3);
  expect(result.instances.length).toBeGreaterThanOrEqual(4);
  const top = result.grasps.slice(0, 3);
  const onObject = top.filter(
    (g) => frame.instance[g.v * 640 + g.u] > 0 && frame.suction![g.v * 640 + g.u] >= 0.5,
  );
  expect(onObject.length).toBeGreaterThanOrEqual(2);
  for (const g of top) {
    expect(Math.abs(g.position.z - frame.depthExact[g.v * 640 + g.u])).toBeLessThan(0.01);
    expect(g.score).toBeGreaterThanOrEqual(0.5);
  }
  // The best grasp comes first (network: by score; the depth-based sources: each surface's best, then ...).
  expect(result.grasps[0].score).toBe(Math.max(...result.grasps.map((g) => g.score)));
  const overlay = decodePng(new Uint8Array(fs.readFileSync(path.join(out, 'overlay.png'))));
  expect([overlay.width, overlay.height, overlay.encoding]).toEqual([640, 480, 'rgb8']);
  let changed = 0;
  for (let i = 0; i < frame.rgb.length; i++) if (overlay.data[i] !== frame.rgb[i]) changed++;
  expect(changed).toBeGreaterThan(1000);
});

test('bad inputs are one readable line and exit 1', async () => {
  const missing = await cli([
    'infer',
    ...files(path.join(dir, 'x')).map((a) => (a.endsWith('rgb.png') ? '/nope/rgb.png' : a)),
  ]);
  expect(missing.code).toBe(1);
  expect(missing.err).toBe('grasp-perception: /nope/rgb.png: cannot read the colour image\n');
  fs.writeFileSync(path.join(dir, 'bad.yaml'), 'image_width: 640\nimage_height: 480\n');
  const bad = await cli([
    'infer',
    ...files(path.join(dir, 'x')).map((a) => (a.endsWith('ci.yaml') ? path.join(dir, 'bad.yaml') : a)),
  ]);
  expect(bad.code).toBe(1);
  expect(bad.err).toMatch(/bad\.yaml: camera_matrix: .*camera_calibration format expected\)\n$/);
});

test('--grasp-source geometric needs no model: a model path pointing nowhere is not read', async () => {
  const out = path.join(dir, 'geometric');
  const r = await cli([
    'infer',
    ...files(out),
    '--grasp-source',
    'geometric',
    '--model',
    '/nonexistent/no-model.json',
  ]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  const result = JSON.parse(fs.readFileSync(path.join(out, 'result.json'), 'utf8')) as Result & {
    model: string | null;
    grasp_source: string;
  };
  expect([result.model, result.grasp_source, result.instances]).toEqual([null, 'geometric', []]);
  // Trivial baseline: a random pixel lies on an object this often.
  const randomPixel = frame.instance.filter((id) => id > 0).length / frame.instance.length;
  const top = result.grasps.slice(0, 5);
  expect(top.length).toBeGreaterThanOrEqual(3);
  const onObject = top.filter((g) => frame.instance[g.v * 640 + g.u] > 0).length / top.length;
  expect({ onObject: onObject >= 0.8, margin: onObject >= randomPixel + 0.3 }).toEqual({
    onObject: true,
    margin: true,
  });
  for (const g of top) {
    expect(g.instance_id).toBe(-1);
    expect(Math.abs(g.position.z - frame.depthExact[g.v * 640 + g.u])).toBeLessThan(0.01);
  }
  expect(fs.existsSync(path.join(out, 'overlay.png'))).toBe(true);
});
