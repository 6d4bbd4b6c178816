import { normalizeVector, rotateVector, vec3 } from '../../src/geometry';
import { type CameraModel } from '../../src/image';
import { medianValidDepth, suctionGrasps } from '../../src/perception/grasps';

const camera: CameraModel = {
  width: 64,
  height: 48,
  fx: 60,
  fy: 60,
  cx: 31.5,
  cy: 23.5,
  distortionModel: 'plumb_bob',
  d: [0, 0, 0, 0, 0],
};

/** Depth of the plane n·p = d seen through every pixel. */
function planeDepth(n: { x: number; y: number; z: number }, d: number): Float32Array {
  const out = new Float32Array(camera.width * camera.height);
  for (let v = 0; v < camera.height; v++) {
    for (let u = 0; u < camera.width; u++) {
      const rx = (u - camera.cx) / camera.fx;
      const ry = (v - camera.cy) / camera.fy;
      out[v * camera.width + u] = d / (n.x * rx + n.y * ry + n.z);
    }
  }
  return out;
}

const heat = (peaks: [number, number, number][]) => {
  const data = new Float32Array(16 * 12);
  for (const [x, y, s] of peaks) data[y * 16 + x] = s;
  return { width: 16, height: 12, data };
};

const n = normalizeVector(vec3(0.3, -0.2, -1)); // a tilted surface facing the camera
const depth = planeDepth(n, n.z * 0.7 * 1); // passes through (0, 0, 0.7)

test('contact on the surface, normal from the plane fit, z axis into the surface', () => {
  const { grasps } = suctionGrasps(heat([[8, 6, 0.9]]), depth, camera, {
    threshold: 0.5,
    nmsRadiusPx: 8,
    maxGrasps: 5,
    windowRadiusPx: 4,
  });
  expect(grasps).toHaveLength(1);
  const g = grasps[0];
  expect(g.u).toBe(34); // (8 + 0.5) * 4 − 0.5 = 33.5 → 34
  expect(g.v).toBe(26);
  // On the plane: n·p = n.z * 0.7
  expect(n.x * g.point.x + n.y * g.point.y + n.z * g.point.z).toBeCloseTo(n.z * 0.7, 6);
  expect(Math.abs(g.normal.x * n.x + g.normal.y * n.y + g.normal.z * n.z)).toBeCloseTo(1, 6);
  expect(g.normal.z).toBeLessThan(0); // faces the camera
  const z = rotateVector(g.orientation, vec3(0, 0, 1));
  expect(z.x).toBeCloseTo(-g.normal.x, 6);
  expect(z.z).toBeCloseTo(-g.normal.z, 6);
  expect(g.depthRepaired).toBe(false);
  expect(g.planeRms).toBeLessThan(1e-6);
});

test('invalid depth at the peak is repaired from valid neighbours; none at all skips the grasp', () => {
  const holed = depth.slice();
  for (let v = 24; v <= 28; v++) for (let u = 32; u <= 36; u++) if ((u + v) % 2) holed[v * 64 + u] = NaN;
  holed[26 * 64 + 34] = 0;
  const { grasps } = suctionGrasps(heat([[8, 6, 0.9]]), holed, camera);
  expect(grasps[0].depthRepaired).toBe(true);
  expect(grasps[0].point.z).toBeCloseTo(depth[26 * 64 + 34], 2);
  const empty = new Float32Array(depth.length).fill(NaN);
  expect(suctionGrasps(heat([[8, 6, 0.9]]), empty, camera)).toEqual({ grasps: [], skippedNoDepth: 1 });
});

test('threshold, NMS radius and max_grasps', () => {
  const h = heat([
    [2, 2, 0.9],
    [4, 2, 0.8], // 8 px from the first: suppressed at radius 12
    [12, 9, 0.7],
    [8, 6, 0.4], // below threshold
  ]);
  const params = { threshold: 0.5, nmsRadiusPx: 12, maxGrasps: 10, windowRadiusPx: 3 };
  expect(suctionGrasps(h, depth, camera, params).grasps.map((g) => g.score)).toEqual([
    expect.closeTo(0.9),
    expect.closeTo(0.7),
  ]);
  expect(suctionGrasps(h, depth, camera, { ...params, nmsRadiusPx: 4 }).grasps).toHaveLength(3);
  expect(suctionGrasps(h, depth, camera, { ...params, maxGrasps: 1 }).grasps).toHaveLength(1);
});

test('medianValidDepth ignores invalid pixels', () => {
  const d = new Float32Array([NaN, 1, 0, 3, 2, NaN, 5, 0, 4]);
  expect(medianValidDepth(d, 3, 3, 1, 1, 1)).toBe(3);
  expect(medianValidDepth(new Float32Array(9).fill(NaN), 3, 3, 1, 1, 1)).toBeNaN();
});
