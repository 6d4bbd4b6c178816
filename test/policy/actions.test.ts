import { bestAction, rotatedInputs, rotationAngle, unrotateQ } from '../../src/policy/actions';
import { type Heightmap, type HeightmapGrid } from '../../src/policy/heightmap';

const W = 16;
const grid: HeightmapGrid = { x: [-0.032, 0.032], y: [-0.032, 0.032], z: [0, 0.3], resolution: 0.004 };
const spec = { size: 24, rotations: 4, mean: [0, 0, 0, 0] as const, std: [1, 1, 1, 1] as const };

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

test('unrotateQ inverts the rotation at every heightmap cell', () => {
  const hm = heightmap();
  for (let i = 0; i < W * W; i++) hm.heights[i] = (i % 7) / 10;
  const input = rotatedInputs(hm, spec);
  for (let r = 0; r < 4; r++) {
    const back = unrotateQ(heightChannel(input, r), 24, rotationAngle(r, 4), W, W);
    for (let k = 0; k < W * W; k++) expect(back[k]).toBeCloseTo(hm.heights[k], 6);
  }
});

test('bestAction picks the highest Q across primitives and maps it to the world', () => {
  const hm = heightmap();
  const push = [0, 1, 2, 3].map(() => new Float32Array(W * W));
  const grasp = new Float32Array(W * W);
  grasp[5] = 0.6;
  push[3][2 * W + 12] = 0.9;
  const a = bestAction(push, grasp, hm, grid);
  expect(a).toMatchObject({ primitive: 'push', rotation: 3, col: 12, row: 2, q: expect.closeTo(0.9) });
  expect(a.angle).toBeCloseTo((3 * Math.PI) / 2);
  expect(a.position.x).toBeCloseTo(-0.032 + 12.5 * 0.004);
  expect(a.position.y).toBeCloseTo(-0.032 + 2.5 * 0.004);
  expect(a.position.z).toBeCloseTo(0.05);
  push[3][2 * W + 12] = 0;
  expect(bestAction(push, grasp, hm, grid)).toMatchObject({ primitive: 'grasp', col: 5, row: 0, angle: 0 });
});
