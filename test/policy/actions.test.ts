import {
  actionAt,
  actionMasks,
  greedyAction,
  rotatedInputs,
  rotationAngle,
  MAX_APPROACH_TILT,
  surfaceApproach,
} from '../../src/policy/actions';
import { qMapsInHeightmap } from '../../src/policy/visualize';
import { type Heightmap, type HeightmapGrid } from '../../src/policy/heightmap';

const W = 16;
const grid: HeightmapGrid = { x: [-0.032, 0.032], y: [-0.032, 0.032], z: [0, 0.3], resolution: 0.004 };
const spec = {
  size: 24,
  rotations: 4,
  channels: ['red', 'green', 'blue', 'height'] as const,
  mean: [0, 0, 0, 0],
  std: [1, 1, 1, 1],
};

function heightmap(): Heightmap {
  const heights = new Float32Array(W * W);
  const colors = new Uint8Array(W * W * 3);
  heights[2 * W + 12] = 0.05; // a marker at column 12, row 2
  return { width: W, height: W, heights, colors, observed: new Uint8Array(W * W).fill(1) };
}

const heightChannel = (input: Float32Array, r: number) =>
  input.subarray((r * 4 + 3) * 24 * 24, (r * 4 + 4) * 24 * 24);

test('rotation 0 centres the heightmap in the padded input', () => {
  const input = rotatedInputs(heightmap(), spec);
  expect(input).toHaveLength(4 * 4 * 24 * 24);
  const h = heightChannel(input, 0);
  // offset (24 − 16) / 2 = 4
  expect(h[(2 + 4) * 24 + 12 + 4]).toBeCloseTo(0.05);
  expect(h.filter((v) => v > 0)).toHaveLength(1);
});

test('rotation r: the rotated frame +x is the heightmap direction at angle r·2π/R', () => {
  // Rotation 1 (90°): rotated +x = heightmap +row. The marker at (col 12, row 2) is at offset
  // (4.5, −5.5) from the centre; in the rotated frame that is (−5.5, −4.5).
  const h = heightChannel(rotatedInputs(heightmap(), spec), 1);
  const c = 11.5;
  expect(h[Math.round(c - 4.5) * 24 + Math.round(c - 5.5)]).toBeCloseTo(0.05);
  expect(rotationAngle(1, 4)).toBeCloseTo(Math.PI / 2);
});

test('Q maps scatter back through the rotation table: every cell, every rotation', () => {
  const hm = heightmap();
  for (let i = 0; i < W * W; i++) hm.heights[i] = (i % 7) / 10;
  const input = rotatedInputs(hm, spec);
  const plane = 24 * 24;
  // Q maps equal to the height channel of each rotated input must come back as the heightmap.
  const pushQ = new Float32Array(4 * plane);
  for (let r = 0; r < 4; r++) pushQ.set(heightChannel(input, r), r * plane);
  for (let r = 0; r < 4; r++) {
    const push = new Uint8Array(4 * plane);
    push.fill(1, r * plane, (r + 1) * plane); // only rotation r admissible
    const d = {
      action: null,
      pushQ,
      graspQ: heightChannel(input, 0),
      masks: { push, grasp: new Uint8Array(plane).fill(1) },
      timings: { preprocessMs: 0, inferMs: 0, postprocessMs: 0 },
    };
    const back = qMapsInHeightmap(d, hm, 24, 4);
    for (let k = 0; k < W * W; k++) {
      expect(back.push[k]).toBeCloseTo(hm.heights[k], 6);
      expect(back.grasp[k]).toBeCloseTo(hm.heights[k], 6);
    }
  }
});

test('greedyAction takes the highest admissible Q and maps it to the world', () => {
  const hm = heightmap();
  const plane = 24 * 24;
  const push = new Float32Array(4 * plane);
  const grasp = new Float32Array(plane);
  const masks = { push: new Uint8Array(4 * plane).fill(1), grasp: new Uint8Array(plane).fill(1) };
  // Rotation 3 (270°): heightmap (col 12, row 2) is (4.5, −5.5) from the centre, rotated (5.5, 4.5).
  const c = 11.5;
  const at = (i: number, j: number) => 3 * plane + Math.round(c + i) * 24 + Math.round(c + j);
  push[at(4.5, 5.5)] = 0.9;
  const a = greedyAction(push, grasp, masks, hm, spec, grid);
  expect(a).toMatchObject({ primitive: 'push', rotation: 3, col: 12, row: 2, q: expect.closeTo(0.9) });
  expect(a?.angle).toBeCloseTo((3 * Math.PI) / 2);
  expect(a?.position.x).toBeCloseTo(-0.032 + 12.5 * 0.004);
  expect(a?.position.y).toBeCloseTo(-0.032 + 2.5 * 0.004);
  expect(a?.position.z).toBeCloseTo(0.05);
  // Masked out, the push no longer counts; a grasp at rotation 0 maps through the padding offset 4.
  masks.push.fill(0);
  grasp[(0 + 4) * 24 + 5 + 4] = 0.6;
  expect(greedyAction(push, grasp, masks, hm, spec, grid)).toMatchObject({
    primitive: 'grasp',
    col: 5,
    row: 0,
    angle: 0,
  });
  masks.grasp.fill(0);
  expect(greedyAction(push, grasp, masks, hm, spec, grid)).toBeNull();
});

test('surfaceApproach: into the fitted plane, straight down on flat ground', () => {
  const hm = heightmap();
  expect(surfaceApproach(hm, 8, 8, 0.004)).toEqual({ x: 0, y: 0, z: -1 });
  // A ramp rising 1 mm per 4 mm cell along +x: normal (−0.25, 0, 1), approach its opposite.
  for (let k = 0; k < W * W; k++) hm.heights[k] = 0.001 * (k % W);
  const a = surfaceApproach(hm, 8, 8, 0.004);
  const n = Math.hypot(0.25, 1);
  expect(a.x).toBeCloseTo(0.25 / n);
  expect(a.y).toBeCloseTo(0);
  expect(a.z).toBeCloseTo(-1 / n);
  expect(actionAt('grasp', 0, 12, 12, hm, spec, grid)?.approach.x).toBeCloseTo(0.25 / n);
  expect(actionAt('push', 1, 12, 12, hm, spec, grid)?.approach).toEqual({ x: 0, y: 0, z: -1 });
  // A wall-steep fit is tilted back to the reachable cone.
  for (let k = 0; k < W * W; k++) hm.heights[k] = 0.02 * (k % W);
  const steep = surfaceApproach(hm, 8, 8, 0.004);
  expect(Math.acos(-steep.z)).toBeCloseTo(MAX_APPROACH_TILT);
});

test('actionAt: padding is no action, and pixels outside the input are an error', () => {
  expect(actionAt('grasp', 0, 0, 0, heightmap(), spec, grid)).toBeNull();
  expect(() => actionAt('push', 4, 0, 0, heightmap(), spec, grid)).toThrow(/outside 4 x 24 x 24/);
});

test('actionMasks: grasps on object interiors, pushes from the floor towards an object', () => {
  const hm = heightmap();
  for (let row = 5; row < 10; row++) for (let col = 6; col < 11; col++) hm.heights[row * W + col] = 0.03;
  const masks = actionMasks(hm, spec, { grid, pushLength: 0.02, objectHeight: 0.01 });
  const g = (row: number, col: number) => masks.grasp[(row + 4) * 24 + col + 4];
  expect(g(7, 8)).toBe(1); // inside the 5x5 block
  expect(g(5, 8)).toBe(0); // its edge row: a neighbour is floor
  expect(g(2, 12)).toBe(0); // the single-cell marker
  // Rotation 0 pushes go +x (+col): from the floor up to 5 cells (2 cm / 4 mm) left of the block.
  const p = (row: number, col: number) => masks.push[(row + 4) * 24 + col + 4];
  expect([0, 1, 2, 3, 4, 5, 6].map((col) => p(7, col))).toEqual([0, 1, 1, 1, 1, 1, 0]);
  expect(p(7, 12)).toBe(0); // right of the block: nothing ahead
});
