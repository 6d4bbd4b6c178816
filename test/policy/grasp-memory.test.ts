// The failed-grasp memory: which grasps it suppresses, for how long, and never all actions.
import { type ActionMasks, type PolicyInputSpec, rotationIndex } from '../../src/policy/actions';
import { rememberAction, suppressFailedGrasps } from '../../src/policy/grasp-memory';
import { type Heightmap, type HeightmapGrid } from '../../src/policy/heightmap';

const grid: HeightmapGrid = { x: [-0.1, 0.1], y: [-0.1, 0.1], z: [0, 0.3], resolution: 0.01 };
const W = 20;
const hm: Heightmap = {
  width: W,
  height: W,
  heights: new Float32Array(W * W),
  colors: new Uint8Array(3 * W * W),
  observed: new Uint8Array(W * W).fill(1),
};
const spec: PolicyInputSpec = { size: 32, rotations: 4, channels: ['height'], mean: [0], std: [1] };
const params = { radius: 0.025, actions: 3 };
const fail = (x: number, y: number) => ({ primitive: 'grasp' as const, success: false, position: { x, y } });
const push = { primitive: 'push' as const, success: true, position: { x: 0, y: 0 } };

test('a failed grasp is remembered for `actions` actions; successes and pushes add nothing; radius 0 is off', () => {
  let m = rememberAction([], fail(0.05, 0.05), params);
  expect(m).toEqual([{ x: 0.05, y: 0.05, age: 0 }]);
  m = rememberAction(m, push, params);
  m = rememberAction(m, { ...fail(0, 0), success: true }, params);
  expect(m).toEqual([{ x: 0.05, y: 0.05, age: 2 }]);
  expect(rememberAction(m, push, params)).toEqual([]);
  expect(rememberAction([], fail(0, 0), { radius: 0, actions: 3 })).toEqual([]);
});

test('grasps within the radius of a remembered failure leave the mask; pushes and other grasps stay', () => {
  const plane = spec.size * spec.size;
  const masks: ActionMasks = { grasp: new Uint8Array(plane), push: new Uint8Array(4 * plane) };
  const index = rotationIndex(W, W, spec.size, spec.rotations);
  const cellCentre = (k: number) => ({
    x: grid.x[0] + ((index[k] % W) + 0.5) * grid.resolution,
    y: grid.y[0] + (Math.floor(index[k] / W) + 0.5) * grid.resolution,
  });
  for (let k = 0; k < plane; k++) if (index[k] >= 0) masks.grasp[k] = 1;
  masks.push[5] = 1;
  const out = suppressFailedGrasps(masks, [{ x: 0.05, y: -0.05, age: 0 }], hm, spec, grid, params);
  let suppressed = 0;
  for (let k = 0; k < plane; k++) {
    if (index[k] < 0) continue;
    const c = cellCentre(k);
    const near = Math.hypot(c.x - 0.05, c.y + 0.05) <= params.radius;
    expect([k, out.grasp[k]]).toEqual([k, near ? 0 : 1]);
    if (near) suppressed++;
  }
  // A 2.5 cm disc on a 1 cm grid: about π·2.5² ≈ 20 cells.
  expect(suppressed).toBeGreaterThan(12);
  expect(suppressed).toBeLessThan(30);
  expect(out.push).toBe(masks.push);
  expect(masks.grasp.every((v, k) => v === (index[k] >= 0 ? 1 : 0))).toBe(true); // input untouched
  // Nothing else admissible: the memory gives way rather than ending the episode.
  const only: ActionMasks = { grasp: new Uint8Array(plane), push: new Uint8Array(4 * plane) };
  const k0 = index.findIndex(
    (cell, k) => k < plane && cell >= 0 && Math.hypot(cellCentre(k).x, cellCentre(k).y) < 0.01,
  );
  only.grasp[k0] = 1;
  expect(suppressFailedGrasps(only, [{ x: 0, y: 0, age: 0 }], hm, spec, grid, params)).toBe(only);
});
