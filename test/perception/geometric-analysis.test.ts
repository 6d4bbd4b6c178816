// The depth analysis and suppression of the geometric grasp stage against straightforward reference
// implementations (the pixel-by-pixel flood fill, steepness scan and chamfer edge map they replaced, and a
// linear-scan greedy suppression): the faster versions must give exactly the same surfaces, ids, flags,
// edge distances and kept grasps; the half-resolution edge map (edgeScale 2) is the same chamfer on
// every second pixel, distances doubled. Synthetic frames: a tilted floor, boxes and ramps, depth noise and
// invalid speckles, a wall touching the border, a surface on the border margin.
import {
  analyseDepth,
  DEFAULT_GEOMETRIC_PARAMS,
  type DepthAnalysis,
  edgeDistanceAt,
  type GeometricGraspParams,
  suppressNonMaxima,
} from '../../src/perception/geometric-grasps';

/** mulberry32 */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const W = 160;
const H = 120;
const CAMERA = { width: W, height: H, fx: 150, fy: 150, cx: 79.5, cy: 59.5 };

/** A floor 0.7 m away tilted about x, objects on it (boxes, ramps, a pile), noise and invalid pixels. */
function scene(seed: number): Float32Array {
  const random = rng(seed);
  const depth = new Float32Array(W * H);
  for (let v = 0; v < H; v++)
    for (let u = 0; u < W; u++) depth[v * W + u] = 0.7 + 0.0008 * (v - 60) + 0.0004 * (random() - 0.5);
  for (let k = 0; k < 12; k++) {
    const u0 = Math.floor(random() * (W - 10));
    const v0 = Math.floor(random() * (H - 10));
    const w = 4 + Math.floor(random() * 30);
    const h = 4 + Math.floor(random() * 25);
    const lift = 0.015 + random() * 0.08;
    const ramp = random() < 0.3 ? 0.003 + random() * 0.01 : 0;
    for (let v = v0; v < Math.min(H, v0 + h); v++)
      for (let u = u0; u < Math.min(W, u0 + w); u++) depth[v * W + u] -= lift + ramp * (u - u0);
  }
  // Surfaces that end exactly on the border margin's edge (touching it) or one pixel short of it.
  const m = Math.round(DEFAULT_GEOMETRIC_PARAMS.borderMargin * W);
  const block = (u0: number, u1: number, v0: number, v1: number, lift: number) => {
    for (let v = v0; v <= v1; v++) for (let u = u0; u <= u1; u++) depth[v * W + u] = 0.7 - lift;
  };
  block(W - m - 12, W - m, 20, 30, 0.2);
  block(W - m - 13, W - m - 1, 70, 80, 0.25);
  block(40, 50, m - 1, m + 5, 0.2);
  block(70, 80, m, m + 5, 0.25);
  block(40, 50, H - m - 6, H - m, 0.2);
  block(70, 80, H - m - 6, H - m - 1, 0.25);
  // A wall along the left border, seen edge-on (steep), and invalid speckles.
  for (let v = 0; v < H; v++) for (let u = 0; u < 6; u++) depth[v * W + u] = 0.45 + 0.03 * u;
  for (let k = 0; k < 300; k++) depth[Math.floor(random() * W * H)] = NaN;
  return depth;
}

/** Edge pixels in the box, then the chamfer 3-4 distance in two raster passes (times `scale`). */
function chamfer(
  depth: Float32Array,
  width: number,
  height: number,
  jump: number,
  box: number[],
  scale: number,
) {
  const out = new Float32Array(width * height);
  const [bu0, bv0, bu1, bv1] = box;
  if (bu1 < bu0) return out;
  const valid = (z: number) => z > 0 && z !== Infinity;
  const bw = bu1 - bu0 + 1;
  const bh = bv1 - bv0 + 1;
  const d = new Int32Array(bw * bh);
  for (let v = bv0; v <= bv1; v++) {
    for (let u = bu0; u <= bu1; u++) {
      const i = v * width + u;
      const z = depth[i];
      const step = (j: number) => !(Math.abs(depth[j] - z) <= jump);
      const edge =
        !valid(z) ||
        (u + 1 < width && step(i + 1)) ||
        (u > 0 && step(i - 1)) ||
        (v + 1 < height && step(i + width)) ||
        (v > 0 && step(i - width));
      d[(v - bv0) * bw + u - bu0] = edge ? 0 : 1 << 29;
    }
  }
  const at = (x: number, y: number) => (x < 0 || y < 0 || x >= bw || y >= bh ? 1 << 29 : d[y * bw + x]);
  const pass = (ys: number[], xs: number[], taps: number[][]) => {
    for (const y of ys) {
      for (const x of xs) {
        for (const [dx, dy, w] of taps) d[y * bw + x] = Math.min(d[y * bw + x], at(x + dx, y + dy) + w);
      }
    }
  };
  const ys = Array.from({ length: bh }, (_, y) => y);
  const xs = Array.from({ length: bw }, (_, x) => x);
  pass(ys, xs, [
    [-1, 0, 3],
    [0, -1, 3],
    [-1, -1, 4],
    [1, -1, 4],
  ]);
  pass([...ys].reverse(), [...xs].reverse(), [
    [1, 0, 3],
    [0, 1, 3],
    [1, 1, 4],
    [-1, 1, 4],
  ]);
  for (let y = 0; y < bh; y++)
    for (let x = 0; x < bw; x++) out[(bv0 + y) * width + bu0 + x] = (d[y * bw + x] * scale) / 3;
  return out;
}

/** The original labelling, steepness, box and chamfer edge map (at the params' edge scale), pixel by pixel. */
function reference(depth: Float32Array, a: DepthAnalysis, params: GeometricGraspParams) {
  const { width, height } = a;
  const n = width * height;
  const valid = (z: number) => z > 0 && z !== Infinity;
  const heights = a.heights;
  const regions = new Int32Array(n);
  const border = [0];
  const sizes = [0];
  const extent = [0, 0, -1, -1, Infinity];
  const m = Math.max(1, Math.round(params.borderMargin * width));
  let next = 1;
  for (let start = 0; start < n; start++) {
    if (regions[start] !== 0 || !(heights[start] >= params.minHeight)) continue;
    const id = next++;
    let touches = 0;
    let size = 0;
    let [u0, v0, u1, v1, zMin] = [width, height, -1, -1, Infinity];
    const stack = [start];
    regions[start] = id;
    while (stack.length > 0) {
      const i = stack.pop()!;
      size++;
      const u = i % width;
      const v = (i - u) / width;
      if (u < m || v < m || u >= width - m || v >= height - m) touches = 1;
      [u0, u1, v0, v1, zMin] = [
        Math.min(u0, u),
        Math.max(u1, u),
        Math.min(v0, v),
        Math.max(v1, v),
        Math.min(zMin, depth[i]),
      ];
      const z = depth[i];
      const next4 = [
        u > 0 ? i - 1 : -1,
        u + 1 < width ? i + 1 : -1,
        v > 0 ? i - width : -1,
        v + 1 < height ? i + width : -1,
      ];
      for (const j of next4) {
        if (j < 0 || regions[j] !== 0 || !(heights[j] >= params.minHeight)) continue;
        if (!(Math.abs(depth[j] - z) <= params.edgeJump)) continue;
        regions[j] = id;
        stack.push(j);
      }
    }
    border.push(touches);
    sizes.push(size);
    extent.push(u0, v0, u1, v1, zMin);
  }
  const steep = new Float64Array(next);
  const pixels = new Float64Array(next);
  const { fx, fy, cx, cy } = CAMERA;
  const cosSteep = Math.cos((params.steepDeg * Math.PI) / 180);
  const pn = a.plane!.normal;
  for (let v = 1; v < height - 1; v++) {
    for (let u = 1; u < width - 1; u++) {
      const i = v * width + u;
      const id = regions[i];
      if (id === 0 || border[id] === 1) continue;
      const [zl, zr, zu, zd] = [depth[i - 1], depth[i + 1], depth[i - width], depth[i + width]];
      if (!(valid(zl) && valid(zr) && valid(zu) && valid(zd))) continue;
      const ax = ((u + 1 - cx) * zr) / fx - ((u - 1 - cx) * zl) / fx;
      const ay = ((v - cy) * (zr - zl)) / fy;
      const az = zr - zl;
      const bx = ((u - cx) * (zd - zu)) / fx;
      const by = ((v + 1 - cy) * zd) / fy - ((v - 1 - cy) * zu) / fy;
      const bz = zd - zu;
      const nx = ay * bz - az * by;
      const ny = az * bx - ax * bz;
      const nz = ax * by - ay * bx;
      const len2 = nx * nx + ny * ny + nz * nz;
      if (!(len2 > 0)) continue;
      pixels[id]++;
      const dot = nx * pn.x + ny * pn.y + nz * pn.z;
      if (dot * dot < cosSteep * cosSteep * len2) steep[id]++;
    }
  }
  const steepFraction = new Float32Array(next);
  for (let id = 1; id < next; id++) {
    steepFraction[id] = pixels[id] > 0 ? steep[id] / pixels[id] : 0;
    if (steepFraction[id] > params.maxSteepFraction) border[id] = 1;
  }
  let [bu0, bv0, bu1, bv1, zNear] = [width, height, -1, -1, Infinity];
  for (let id = 1; id < next; id++) {
    if (border[id] === 1) continue;
    [bu0, bv0] = [Math.min(bu0, extent[5 * id]), Math.min(bv0, extent[5 * id + 1])];
    [bu1, bv1] = [Math.max(bu1, extent[5 * id + 2]), Math.max(bv1, extent[5 * id + 3])];
    zNear = Math.min(zNear, extent[5 * id + 4]);
  }
  const scale = params.edgeScale;
  if (bu1 >= bu0) {
    const reach = Math.ceil((params.discRadius * (CAMERA.fx + CAMERA.fy)) / 2 / zNear) + 1;
    [bu0, bv0] = [Math.max(0, bu0 - reach), Math.max(0, bv0 - reach)];
    [bu1, bv1] = [Math.min(width - 1, bu1 + reach), Math.min(height - 1, bv1 + reach)];
  }
  // The edge map on the grid of every scale-th pixel (nearest samples), distances in camera pixels.
  const ew = Math.ceil(width / scale);
  const eh = Math.ceil(height / scale);
  const sampled = new Float32Array(ew * eh);
  for (let y = 0; y < eh; y++)
    for (let x = 0; x < ew; x++)
      sampled[y * ew + x] = depth[Math.min(height - 1, y * scale) * width + Math.min(width - 1, x * scale)];
  const box = [bu0, bv0, bu1, bv1].map((c) => Math.floor(c / scale));
  const edgeDistance = chamfer(sampled, ew, eh, params.edgeJump, box, scale);
  return {
    regions,
    touchesBorder: Uint8Array.from(border),
    regionPixels: Int32Array.from(sizes),
    steepFraction,
    edgeDistance,
  };
}

describe('geometric depth analysis', () => {
  for (const [seed, edgeScale] of [
    [1, 1],
    [2, 1],
    [3, 1],
    [1, 2],
    [2, 2],
  ]) {
    test(`surfaces, walls and the edge map (scale ${edgeScale}) equal the pixel-by-pixel reference (scene ${seed})`, () => {
      const depth = scene(seed);
      const params = { ...DEFAULT_GEOMETRIC_PARAMS, edgeScale };
      const a = analyseDepth(depth, CAMERA, params);
      expect(a.plane).not.toBeNull();
      const r = reference(depth, a, params);
      // Not trivial: several kept surfaces and dropped (border or wall) ones.
      const kept = [...a.touchesBorder].filter((b, id) => id > 0 && b === 0).length;
      expect(kept).toBeGreaterThanOrEqual(3);
      expect([...a.touchesBorder].filter((b) => b === 1).length).toBeGreaterThanOrEqual(1);
      expect(a.regions).toEqual(r.regions);
      expect(a.touchesBorder).toEqual(r.touchesBorder);
      expect(a.regionPixels).toEqual(r.regionPixels);
      expect(a.steepFraction).toEqual(r.steepFraction);
      expect(a.edgeScale).toBe(edgeScale);
      expect(a.edgeDistance).toEqual(r.edgeDistance);
      // Read back per camera pixel: the nearest grid sample's distance.
      for (const [u, v] of [
        [41, 17],
        [100, 64],
        [W - 1, H - 1],
      ]) {
        const g = Math.floor(v / edgeScale) * Math.ceil(W / edgeScale) + Math.floor(u / edgeScale);
        expect(edgeDistanceAt(a, u, v)).toBe(r.edgeDistance[g]);
      }
    });
  }

  test('a frame with nothing above the support has no surface and an empty edge map', () => {
    const depth = new Float32Array(W * H);
    for (let v = 0; v < H; v++) for (let u = 0; u < W; u++) depth[v * W + u] = 0.7 + 0.0008 * (v - 60);
    const a = analyseDepth(depth, CAMERA);
    expect(a.plane).not.toBeNull();
    expect(a.regionPixels.length).toBe(1);
    expect(a.regions.every((r) => r === 0)).toBe(true);
    expect(a.edgeDistance.every((d) => d === 0)).toBe(true);
  });
});

describe('suppressNonMaxima', () => {
  /** Greedy suppression by a linear scan of the kept items. */
  function greedy<T extends { u: number; v: number; score: number }>(
    items: T[],
    radius: number,
    max: number,
  ): T[] {
    const kept: T[] = [];
    for (const g of [...items].sort((a, b) => b.score - a.score)) {
      if (kept.length >= max) break;
      if (!kept.some((k) => (k.u - g.u) ** 2 + (k.v - g.v) ** 2 < radius * radius)) kept.push(g);
    }
    return kept;
  }

  test('keeps exactly what a linear scan keeps, for any radius and limit', () => {
    const random = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const items = Array.from({ length: 300 }, (_, i) => ({
        // Integer and fractional pixels, some negative, ties in score (stable order decides).
        u: trial % 2 ? Math.floor(random() * 200) - 20 : random() * 200 - 20,
        v: Math.floor(random() * 150),
        score: Math.round(random() * 20) / 20,
        i,
      }));
      for (const radius of [0, 0.5, 3, 10, 25.5, Infinity, NaN]) {
        for (const max of [5, 50, Infinity]) {
          expect(suppressNonMaxima(items, radius, max)).toEqual(greedy(items, radius, max));
        }
      }
    }
  });
});
