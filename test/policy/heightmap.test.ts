import { poseToTransform, quaternionFromAxisAngle, vec3 } from '../../src/geometry';
import { type CameraModel } from '../../src/image';
import {
  computeHeightmap,
  floorHalfExtents,
  gridSize,
  type HeightmapGrid,
  VPG_GRID,
  workspaceGrid,
} from '../../src/policy/heightmap';
import { rotationIndex } from '../../src/policy/actions';

/** The camera-independent method (policies trained on it name it in their manifest's grid). */
const FOOTPRINT: HeightmapGrid = { ...VPG_GRID, method: 'footprint' };
import { BinPickingSim, type SceneObject } from '../../src/sim';
import { quatToMat3 } from '../../src/sim/math';
import { PrimitiveKind, shapeParts } from '../../src/sim/shapes';

/**
 * Ground truth: the highest point of an object above the bin floor (world z = 0), from its settled pose
 * and its primitives (each with its axis along body z; no part is rotated relative to its body).
 */
function topHeight(o: SceneObject): number {
  const r = quatToMat3(o.pose.orientation);
  // World z of the body axes: row 2 of the rotation.
  const [zx, zy, zz] = [r[6], r[7], r[8]];
  let top = -Infinity;
  for (const part of shapeParts(o.shape)) {
    const c = o.pose.position.z + zx * part.offset.x + zy * part.offset.y + zz * part.offset.z;
    const [a, b, h] = part.params;
    const axial = Math.abs(zz);
    const radial = Math.sqrt(Math.max(0, 1 - zz * zz));
    const extent =
      part.kind === PrimitiveKind.Box
        ? Math.abs(zx) * a + Math.abs(zy) * b + axial * h
        : part.kind === PrimitiveKind.Cylinder
          ? axial * b + radial * a
          : part.kind === PrimitiveKind.Sphere
            ? a
            : axial * b + a; // capsule: the segment's end plus the radius
    top = Math.max(top, c + extent);
  }
  return top;
}

/** Whether the object's centre lies inside the square grid |x|, |y| < half. */
function insideGrid(o: SceneObject, half: number): boolean {
  return Math.abs(o.pose.position.x) < half && Math.abs(o.pose.position.y) < half;
}

const camera: CameraModel = {
  width: 160,
  height: 120,
  fx: 150,
  fy: 150,
  cx: 79.5,
  cy: 59.5,
  distortionModel: 'plumb_bob',
  d: [0, 0, 0, 0, 0],
};
// 0.7 m above the origin, looking straight down (optical z = −world z, optical y = −world y).
const worldFromCamera = {
  translation: vec3(0, 0, 0.7),
  rotation: quaternionFromAxisAngle(vec3(1, 0, 0), Math.PI),
};

test('VPG grid is 224 x 224', () => {
  expect(gridSize(VPG_GRID)).toEqual({ width: 224, height: 224 });
});

test('workspace grids: the default bin gives the shipped 62 x 62 grid; a rectangular tote keeps 7 mm cells and fits the 96 x 96 input', () => {
  const like = { resolution: 0.007, z: [0, 0.3] as [number, number], method: 'footprint' as const };
  const bin = workspaceGrid([0.224, 0.224], like);
  expect(bin.x[0]).toBeCloseTo(-0.217, 9);
  expect(bin.y[1]).toBeCloseTo(0.217, 9);
  expect(bin.method).toBe('footprint');
  expect(gridSize(bin)).toEqual({ width: 62, height: 62 });
  const arc = workspaceGrid([0.175, 0.3], like);
  expect(gridSize(arc)).toEqual({ width: 48, height: 84 });
  // At rotation 0 (where grasps are read) every cell of the tote is in the input.
  const idx = rotationIndex(48, 84, 96, 8);
  const seen = new Set(Array.from(idx.subarray(0, 96 * 96)).filter((k) => k >= 0));
  expect(seen.size).toBe(48 * 84);
  expect(
    floorHalfExtents([
      { x: -0.3, y: -0.2, z: 0 },
      { x: 0.3, y: 0.2, z: 0 },
      { x: 0.4, y: 0.5, z: 0.1 },
    ]),
  ).toEqual([0.3, 0.2]);
});

test('a 5 cm block on the floor: its cells are 5 cm high, the floor 0, its colour kept', () => {
  const depth = new Float32Array(160 * 120).fill(0.7);
  const rgb = new Uint8Array(160 * 120 * 3).fill(50);
  for (let v = 50; v < 70; v++) {
    for (let u = 70; u < 90; u++) {
      depth[v * 160 + u] = 0.65;
      rgb.set([200, 10, 10], 3 * (v * 160 + u));
    }
  }
  depth[0] = NaN;
  const hm = computeHeightmap(rgb, depth, camera, worldFromCamera);
  const centre = 112 * 224 + 112;
  expect(hm.heights[centre]).toBeCloseTo(0.05, 6);
  expect([...hm.colors.subarray(3 * centre, 3 * centre + 3)]).toEqual([200, 10, 10]);
  // Far from the block, on the observed floor.
  const floor = 112 * 224 + 10;
  expect(hm.observed.subarray(110 * 224, 115 * 224).some((o) => o === 1)).toBe(true);
  expect(hm.heights[floor]).toBeCloseTo(0, 6);
  let max = 0;
  for (const h of hm.heights) max = Math.max(max, h);
  expect(max).toBeCloseTo(0.05, 6);
});

/** Cells along the heightmap row through the grid centre that are at least `h` high. */
const cellsAtLeast = (heights: Float32Array, row: number, h: number): number =>
  heights.subarray(row * 224, (row + 1) * 224).filter((x) => x >= h - 1e-6).length;

test('footprint: pixels sparser than cells: the block keeps its width (no dilation) and the floor is observed without gaps', () => {
  // 160 x 120 at fx 150 from 0.65 m: a pixel spans 4.3 mm, two cells. The block's 20 pixels image
  // 20 x 4.33 = 86.7 mm: 44 cells of 2 mm once its edges fall inside cells.
  const depth = new Float32Array(160 * 120).fill(0.7);
  const rgb = new Uint8Array(160 * 120 * 3).fill(50);
  for (let v = 50; v < 70; v++) for (let u = 70; u < 90; u++) depth[v * 160 + u] = 0.65;
  const hm = computeHeightmap(rgb, depth, camera, worldFromCamera, FOOTPRINT);
  expect(cellsAtLeast(hm.heights, 112, 0.05)).toBeGreaterThanOrEqual(43);
  expect(cellsAtLeast(hm.heights, 112, 0.05)).toBeLessThanOrEqual(45);
  // The floor seen from 0.7 m spans ±0.373 m x ±0.28 m, the whole 0.448 m grid; only the floor the
  // block hides from a pinhole at 0.7 m is missing: 0.05 / 0.7 of its 86.7 mm, ~3 mm on each side.
  const unobserved = hm.observed.filter((o) => o === 0).length;
  expect(unobserved).toBeGreaterThan(0);
  expect(unobserved).toBeLessThan(4 * 4 * 46);
});

test('footprint: a hole in the depth is unobserved and takes the surface around it; a shadow beside a block is floor', () => {
  const depth = new Float32Array(160 * 120).fill(0.7);
  const rgb = new Uint8Array(160 * 120 * 3).fill(50);
  for (let v = 50; v < 70; v++) for (let u = 70; u < 90; u++) depth[v * 160 + u] = 0.65;
  // Dropouts on the block top, and a stripe of missing floor right of the block (an occlusion shadow).
  for (let v = 58; v < 62; v++) for (let u = 78; u < 82; u++) depth[v * 160 + u] = 0;
  for (let v = 50; v < 70; v++) for (let u = 90; u < 95; u++) depth[v * 160 + u] = NaN;
  const hm = computeHeightmap(rgb, depth, camera, worldFromCamera, FOOTPRINT);
  const centre = 112 * 224 + 112;
  expect(hm.observed[centre]).toBe(0);
  expect(hm.heights[centre]).toBeCloseTo(0.05, 6);
  // The shadow: 5 pixels (21.7 mm) right of the block's edge at +43.3 mm.
  const shadow = 112 * 224 + Math.floor((0.055 + 0.224) / 0.002);
  expect(hm.observed[shadow]).toBe(0);
  expect(hm.heights[shadow]).toBeCloseTo(0, 6);
  expect(cellsAtLeast(hm.heights, 112, 0.05)).toBeLessThanOrEqual(45);
});

test('inputs of different sizes are one clear error', () => {
  expect(() => computeHeightmap(new Uint8Array(3), new Float32Array(2), camera, worldFromCamera)).toThrow(
    /heightmap inputs disagree: 160x120 camera, 2 depth values, 1 colour pixels/,
  );
});

test('a simulator frame: the heightmap top is the ground-truth top of the tallest object, within 2 mm', async () => {
  const sim = await BinPickingSim.random({ count: 6, seed: 2 }, { camera: { width: 320, height: 240 } });
  const f = sim.frame({ realism: false });
  const objects = sim.scene.objects;
  sim.dispose();
  const model: CameraModel = {
    ...f.intrinsics,
    distortionModel: 'plumb_bob',
    d: [0, 0, 0, 0, 0],
  };
  const hm = computeHeightmap(f.rgb, f.depthExact, model, poseToTransform(f.cameraPose), {
    ...VPG_GRID,
    x: [-0.15, 0.15],
    y: [-0.15, 0.15],
  });
  let max = 0;
  for (const h of hm.heights) max = Math.max(max, h);
  console.log(
    max,
    objects.map((o) => [o.shape.kind, topHeight(o), o.pose.position]),
  );
  const tallest = Math.max(...objects.filter((o) => insideGrid(o, 0.15)).map(topHeight));
  expect(tallest).toBeGreaterThan(0.02);
  expect(Math.abs(max - tallest)).toBeLessThan(0.002);
  const observed = hm.observed.reduce((a, b) => a + b, 0);
  expect(observed / hm.observed.length).toBeGreaterThan(0.3);
  const filled = hm.heights.filter((h, k) => !hm.observed[k] && h > 0).length;
  expect(filled).toBeGreaterThan(0);
});
