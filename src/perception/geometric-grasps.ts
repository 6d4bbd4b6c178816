// Suction grasps from the measured depth alone, and the same checks applied to a network's grasps:
// support plane fitted in the frame -> pixels clearly above it -> surfaces (connected, no depth step)
// that touch the image border dropped (bin walls, the world outside the bin) -> a seal score from a
// plane fitted in a disc of the suction cup's radius (planarity, approach angle, distance to depth
// edges) -> non-maximum suppression. Pure: plain arrays in, plain objects out.
// Method and constants: docs/grasping.md.
import {
  fitSupportPlane,
  heightAbovePlane,
  heightColumnTerms,
  heightRow,
  orientTowards,
  type PinholeIntrinsics,
  quaternionFromZAxis,
  scaleVector,
  type SupportPlane,
  type SupportPlaneOptions,
  symmetricEigen3InPlace,
  type Vec3,
  vec3,
} from '../geometry';
import { type SuctionGraspCandidate } from './grasps';

export interface GeometricGraspParams {
  /** A pixel is a candidate when it is at least this high above the support, metres. */
  minHeight: number;
  /** Neighbouring pixels whose depths differ by more lie on different surfaces (a depth edge), metres. */
  edgeJump: number;
  /** Radius of the suction cup's seal disc, metres. */
  discRadius: number;
  /** Candidates are scored on a grid of this step, camera pixels. */
  stridePx: number;
  /** Planarity residual (RMS in the disc) at which the planarity term is e^-1, metres. */
  planarityScale: number;
  /** Approach angle (surface normal vs support normal or camera ray, the larger) scoring 0, degrees. */
  maxApproachDeg: number;
  /**
   * A surface with more than this fraction of its pixels steeper than `steepDeg` to the support is a
   * wall (of a bin that lies wholly in view), dropped like one that touches the image border.
   */
  maxSteepFraction: number;
  steepDeg: number;
  /**
   * Pixels this close to the image edge count as the border (a fraction of the width): depth
   * cameras leave bands of invalid depth there, which would otherwise cut a wall off the border.
   */
  borderMargin: number;
  /** Fraction of a disc's pixels that must have depth on the same surface. */
  minDiscCoverage: number;
  /** Grasps scoring below this are not returned. */
  minScore: number;
  /**
   * The edge map is computed on every `edgeScale`-th pixel of every `edgeScale`-th row (nearest
   * samples), its distances scaled back to camera pixels: 2 costs a quarter of full resolution (1) and
   * measured neutral on the design scenes and dev frames (docs/grasping.md, Latency).
   */
  edgeScale: number;
  /** Support-plane fit options (defaults: src/geometry/support-plane.ts). */
  support?: SupportPlaneOptions;
}

export const DEFAULT_GEOMETRIC_PARAMS: GeometricGraspParams = {
  minHeight: 0.012,
  edgeJump: 0.008,
  discRadius: 0.01,
  stridePx: 3,
  planarityScale: 0.0025,
  maxApproachDeg: 60,
  maxSteepFraction: 0.5,
  borderMargin: 0.02,
  steepDeg: 60,
  minDiscCoverage: 0.6,
  minScore: 0.05,
  edgeScale: 2,
};

/** What the measured depth says about a frame: support, heights, surfaces and edges. */
export interface DepthAnalysis {
  width: number;
  height: number;
  plane: SupportPlane | null;
  /**
   * Height above the support per pixel, metres (NaN: invalid depth or no support); analyseDepth's
   * result computes it on first read (the grasp stage itself needs it a row at a time).
   */
  readonly heights: Float32Array;
  /** Surface id per pixel of the candidates (above the support), 0 = none; ids start at 1. */
  regions: Int32Array;
  /** Per region id: 1 when it touches the image border or is mostly steep (a wall: dropped), else 0. */
  touchesBorder: Uint8Array;
  /** Per region id: fraction of its pixels steeper than `steepDeg` to the support (0 for border-touching ones). */
  steepFraction: Float32Array;
  /** Per region id: pixel count. */
  regionPixels: Int32Array;
  /**
   * Distance to the nearest depth edge or invalid pixel in camera pixels (chamfer 3-4, /3, on the grid
   * of every `edgeScale`-th pixel: ceil(width / edgeScale) values a row; read it with edgeDistanceAt);
   * computed around the kept surfaces (out to a seal disc's radius) only, 0 elsewhere.
   */
  edgeDistance: Float32Array;
  edgeScale: number;
}

/** The edge distance of camera pixel (u, v), camera pixels. */
export function edgeDistanceAt(a: DepthAnalysis, u: number, v: number): number {
  const s = a.edgeScale;
  if (s === 1) return a.edgeDistance[v * a.width + u];
  return a.edgeDistance[Math.floor(v / s) * Math.ceil(a.width / s) + Math.floor(u / s)];
}

const valid = (z: number) => z > 0 && z !== Infinity;

/**
 * Scratch buffers of the analysis, reused from frame to frame (a frame allocates no large temporary:
 * fewer garbage collections). Contents are left over from the last use: callers write before reading.
 * Nothing returned aliases them, and the functions that use them are synchronous.
 */
const scratchPool = new Map<string, Int32Array | Float32Array>();
function scratchArray<T extends Int32Array | Float32Array>(
  name: string,
  length: number,
  make: (n: number) => T,
): T {
  let b = scratchPool.get(name) as T | undefined;
  if (!b || b.length < length) {
    b = make(length);
    scratchPool.set(name, b);
  }
  return b.subarray(0, length) as T;
}
const scratchFloat32 = (name: string, length: number): Float32Array =>
  scratchArray(`f32:${name}`, length, (n) => new Float32Array(n));

/** The seal disc's scatter matrix and its eigenvectors (sealAt; see scratchInt32). */
const EIGEN_A = new Float64Array(9);
const EIGEN_V = new Float64Array(9);

function scratchInt32(name: string, length: number): Int32Array {
  return scratchArray(`i32:${name}`, length, (n) => new Int32Array(n));
}

/** A pixel rectangle, inclusive. */
interface Box {
  u0: number;
  v0: number;
  u1: number;
  v1: number;
}

/**
 * Depth edges (a step above `jump` to a 4-neighbour, or invalid depth) and the distance to them, on
 * the grid of every `scale`-th pixel (nearest samples; distances times `scale`, in camera pixels),
 * computed inside `box` (camera pixels) only, 0 outside it. Exact on that grid for distances up to the
 * box's margin around the pixels that read it: a 3-4 chamfer distance is at least the Chebyshev
 * distance, so a nearer edge lies inside the box, and so does the chamfer path to it.
 */
function edgeDistanceMap(
  depth: Float32Array,
  width: number,
  height: number,
  jump: number,
  box: Box,
  scale: number,
): Float32Array {
  if (scale === 1) return chamferMap(depth, width, height, jump, box, 1);
  const ew = Math.ceil(width / scale);
  const eh = Math.ceil(height / scale);
  const sampled = scratchFloat32('edgeDepth', ew * eh);
  for (let y = 0; y < eh; y++) {
    const row = Math.min(height - 1, y * scale) * width;
    for (let x = 0; x < ew; x++) sampled[y * ew + x] = depth[row + Math.min(width - 1, x * scale)];
  }
  const cells = {
    u0: Math.floor(box.u0 / scale),
    v0: Math.floor(box.v0 / scale),
    u1: Math.floor(box.u1 / scale),
    v1: Math.floor(box.v1 / scale),
  };
  return chamferMap(sampled, ew, eh, jump, cells, scale);
}

/** The edge map of edgeDistanceMap on a grid (`depth` width x height), distances times `scale`. */
function chamferMap(
  depth: Float32Array,
  width: number,
  height: number,
  jump: number,
  box: Box,
  scale: number,
): Float32Array {
  const out = new Float32Array(width * height);
  if (box.u1 < box.u0 || box.v1 < box.v0) return out;
  // Integer 3-4 chamfer (exact: sums of 3s and 4s), two passes; `far` where no edge is in reach.
  const far = 1 << 29;
  const bw = box.u1 - box.u0 + 1;
  const bh = box.v1 - box.v0 + 1;
  // The box with a one-cell frame of `far` around it (pw = bw + 2 cells a row): the passes read every
  // neighbour without bounds checks, and a frame cell never wins a minimum (far + 3 > any value).
  const pw = bw + 2;
  const d = scratchInt32('chamfer', pw * (bh + 2));
  d.fill(far, 0, pw);
  d.fill(far, (bh + 1) * pw, (bh + 2) * pw);
  // Edge pixels: invalid depth, or a step to a 4-neighbour. Each neighbour pair is compared once and
  // marks both its pixels (|a − b| is |b − a|; NaN-safe: a comparison with an invalid depth is false,
  // so it is a step). Pairs reaching one pixel out of the box mark the pixel inside.
  for (let y = 0; y < bh; y++) {
    const row = (box.v0 + y) * width + box.u0;
    const o = (y + 1) * pw + 1;
    d[o - 1] = far;
    d[o + bw] = far;
    for (let x = 0; x < bw; x++) d[o + x] = valid(depth[row + x]) ? far : 0;
  }
  const ua = Math.max(0, box.u0 - 1);
  const ub = Math.min(width - 2, box.u1);
  for (let y = 0; y < bh; y++) {
    const row = (box.v0 + y) * width;
    const o = (y + 1) * pw + 1 - box.u0;
    for (let u = ua; u <= ub; u++) {
      if (Math.abs(depth[row + u + 1] - depth[row + u]) <= jump) continue;
      if (u >= box.u0) d[o + u] = 0;
      if (u + 1 <= box.u1) d[o + u + 1] = 0;
    }
  }
  const va = Math.max(0, box.v0 - 1);
  const vb = Math.min(height - 2, box.v1);
  for (let v = va; v <= vb; v++) {
    const row = v * width + box.u0;
    const up = v >= box.v0 ? (v - box.v0 + 1) * pw + 1 : -1;
    const down = v + 1 <= box.v1 ? (v - box.v0 + 2) * pw + 1 : -1;
    for (let x = 0; x < bw; x++) {
      if (Math.abs(depth[row + x + width] - depth[row + x]) <= jump) continue;
      if (up >= 0) d[up + x] = 0;
      if (down >= 0) d[down + x] = 0;
    }
  }
  // Forward pass (left, up-left, up, up-right), then backward (right, down-right, down, down-left),
  // which also writes the result in pixels (edge pixels stay 0).
  for (let y = 1; y <= bh; y++) {
    for (let i = y * pw + 1, end = i + bw; i < end; i++) {
      let m = d[i];
      if (m === 0) continue;
      const up = i - pw;
      if (d[i - 1] + 3 < m) m = d[i - 1] + 3;
      if (d[up] + 3 < m) m = d[up] + 3;
      if (d[up - 1] + 4 < m) m = d[up - 1] + 4;
      if (d[up + 1] + 4 < m) m = d[up + 1] + 4;
      d[i] = m;
    }
  }
  for (let y = bh; y >= 1; y--) {
    const row = (box.v0 + y - 1) * width + box.u0 - 1;
    for (let x = bw, i = y * pw + bw; x >= 1; x--, i--) {
      let m = d[i];
      if (m === 0) continue;
      const down = i + pw;
      if (d[i + 1] + 3 < m) m = d[i + 1] + 3;
      if (d[down] + 3 < m) m = d[down] + 3;
      if (d[down + 1] + 4 < m) m = d[down + 1] + 4;
      if (d[down - 1] + 4 < m) m = d[down - 1] + 4;
      d[i] = m;
      out[row + x] = (m * scale) / 3;
    }
  }
  return out;
}

/**
 * Support plane, heights, candidate surfaces (4-connected pixels above the support without a depth
 * step between them) and the edge distance map of one frame's depth (metres, NaN/0 = invalid).
 */
export function analyseDepth(
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
): DepthAnalysis {
  const { width, height } = camera;
  const n = width * height;
  const plane = fitSupportPlane(depth, width, height, camera, params.support);
  // Heights row by row into a scratch row (heightAbovePlane's arithmetic and float32 values): the frame's
  // height image is only made if `heights` is read.
  const col = plane ? heightColumnTerms(width, camera, plane) : new Float64Array(0);
  const rowHeights = scratchFloat32('rowHeights', width);
  let heights: Float32Array | undefined;
  const regions = new Int32Array(n);
  const m = Math.max(1, Math.round(params.borderMargin * width));
  const { minHeight, edgeJump } = params;
  // Surfaces as runs: a run is a stretch of a row of candidate pixels with no depth step between
  // neighbours; runs joined through a vertical neighbour pair without a step are one surface (union-find).
  // Ids in scan order of each surface's first pixel, as a flood fill from each unlabelled pixel in
  // scan order numbers them.
  const maxRuns = height * Math.ceil(width / 2);
  const runStart = scratchInt32('runStart', maxRuns);
  const runEnd = scratchInt32('runEnd', maxRuns);
  const runRow = scratchInt32('runRow', maxRuns);
  const parent = scratchInt32('parent', maxRuns);
  let above = scratchInt32('above', width);
  let here = scratchInt32('here', width);
  const root = (r: number): number => {
    while (parent[r] !== r) {
      parent[r] = parent[parent[r]];
      r = parent[r];
    }
    return r;
  };
  const join = (a: number, b: number): void => {
    const ra = root(a);
    const rb = root(b);
    if (ra < rb) parent[rb] = ra;
    else if (rb < ra) parent[ra] = rb;
  };
  let runs = 0;
  // No support, no heights: no candidates.
  for (let v = 0; v < (plane ? height : 0); v++) {
    const row = v * width;
    heightRow(depth, width, v, camera, plane!, col, rowHeights, 0);
    for (let u = 0; u < width;) {
      if (!(rowHeights[u] >= minHeight)) {
        here[u++] = -1;
        continue;
      }
      const r = runs++;
      parent[r] = r;
      runStart[r] = u;
      runRow[r] = v;
      for (;;) {
        const i = row + u;
        here[u] = r;
        // A NaN depth fails the comparison (candidates have depth; their heights are not NaN).
        if (v > 0 && above[u] >= 0 && Math.abs(depth[i - width] - depth[i]) <= edgeJump) join(r, above[u]);
        u++;
        if (u >= width || !(rowHeights[u] >= minHeight) || !(Math.abs(depth[i + 1] - depth[i]) <= edgeJump))
          break;
      }
      runEnd[r] = u - 1;
    }
    const t = above;
    above = here;
    here = t;
  }
  // Ids, labels and per-surface border contact, size, bounding box and nearest depth.
  const idOf = scratchInt32('idOf', runs);
  idOf.fill(0);
  const border: number[] = [0];
  const sizes: number[] = [0];
  // Per region: bounding box (u0, v0, u1, v1) and nearest depth, for the edge map's extent.
  const extent: number[] = [0, 0, -1, -1, Infinity];
  let next = 1;
  for (let r = 0; r < runs; r++) {
    const top = root(r);
    let id = idOf[top];
    if (id === 0) {
      id = idOf[top] = next++;
      border.push(0);
      sizes.push(0);
      extent.push(width, height, -1, -1, Infinity);
    }
    const u0 = runStart[r];
    const u1 = runEnd[r];
    const v = runRow[r];
    const row = v * width;
    regions.fill(id, row + u0, row + u1 + 1);
    sizes[id] += u1 - u0 + 1;
    if (u0 < m || v < m || u1 >= width - m || v >= height - m) border[id] = 1;
    const e = 5 * id;
    if (u0 < extent[e]) extent[e] = u0;
    if (v < extent[e + 1]) extent[e + 1] = v;
    if (u1 > extent[e + 2]) extent[e + 2] = u1;
    if (v > extent[e + 3]) extent[e + 3] = v;
    let zMin = extent[e + 4];
    for (let i = row + u0; i <= row + u1; i++) if (depth[i] < zMin) zMin = depth[i];
    extent[e + 4] = zMin;
  }
  // Steep pixels: the surface normal (from the neighbours' back-projected points) far from the support's.
  const steep = new Float64Array(next);
  const pixels = new Float64Array(next);
  if (plane) {
    const { fx, fy, cx, cy } = camera;
    const cosSteep = Math.cos((params.steepDeg * Math.PI) / 180);
    const pn = plane.normal;
    const cos2 = cosSteep * cosSteep;
    for (let r = 0; r < runs; r++) {
      const v = runRow[r];
      const id = regions[v * width + runStart[r]];
      // Border-touching surfaces are dropped whatever their steepness; the border rows and columns
      // have no four neighbours: skipped.
      if (border[id] === 1 || v < 1 || v >= height - 1) continue;
      const uEnd = Math.min(width - 2, runEnd[r]);
      for (let u = Math.max(1, runStart[r]), i = v * width + u; u <= uEnd; u++, i++) {
        const zl = depth[i - 1];
        const zr = depth[i + 1];
        const zu = depth[i - width];
        const zd = depth[i + width];
        if (!(valid(zl) && valid(zr) && valid(zu) && valid(zd))) continue;
        // Tangents along u and v between the neighbours' points.
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
        // |cos| of the angle to the support normal below cos(steepDeg), squared (no square root).
        const dot = nx * pn.x + ny * pn.y + nz * pn.z;
        if (dot * dot < cos2 * len2) steep[id]++;
      }
    }
  }
  const steepFraction = new Float32Array(next);
  for (let id = 1; id < next; id++) {
    steepFraction[id] = pixels[id] > 0 ? steep[id] / pixels[id] : 0;
    if (steepFraction[id] > params.maxSteepFraction) border[id] = 1;
  }
  // The edge map is read on kept surfaces only, out to a seal disc's radius in pixels (beyond it the
  // edge term is 1): computed in their bounding box grown by that radius at their nearest depth.
  const edgeScale =
    Number.isFinite(params.edgeScale) && params.edgeScale >= 1 ? Math.round(params.edgeScale) : 1;
  const box: Box = { u0: width, v0: height, u1: -1, v1: -1 };
  let zNear = Infinity;
  for (let id = 1; id < next; id++) {
    if (border[id] === 1) continue;
    box.u0 = Math.min(box.u0, extent[5 * id]);
    box.v0 = Math.min(box.v0, extent[5 * id + 1]);
    box.u1 = Math.max(box.u1, extent[5 * id + 2]);
    box.v1 = Math.max(box.v1, extent[5 * id + 3]);
    zNear = Math.min(zNear, extent[5 * id + 4]);
  }
  if (box.u1 >= box.u0) {
    const reach = Math.ceil((params.discRadius * (camera.fx + camera.fy)) / 2 / zNear) + 1;
    box.u0 = Math.max(0, box.u0 - reach);
    box.v0 = Math.max(0, box.v0 - reach);
    box.u1 = Math.min(width - 1, box.u1 + reach);
    box.v1 = Math.min(height - 1, box.v1 + reach);
  }
  return {
    width,
    height,
    plane,
    get heights() {
      heights ??= plane
        ? heightAbovePlane(depth, width, height, camera, plane)
        : new Float32Array(n).fill(NaN);
      return heights;
    },
    regions,
    touchesBorder: Uint8Array.from(border),
    steepFraction,
    regionPixels: Int32Array.from(sizes),
    edgeDistance: edgeDistanceMap(depth, width, height, params.edgeJump, box, edgeScale),
    edgeScale,
  };
}

export interface SealEstimate {
  score: number;
  point: Vec3;
  /** Disc plane normal, towards the camera. */
  normal: Vec3;
  planeRms: number;
  /** The three terms multiplied into the score. */
  planarity: number;
  approach: number;
  edge: number;
}

/**
 * Seal score in [0, 1] at pixel (u, v): planarity × approach × edge distance of the disc of radius
 * `discRadius` around the contact, or null when the pixel has no depth or the disc too little.
 */
export function sealAt(
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  analysis: DepthAnalysis,
  u: number,
  v: number,
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
): SealEstimate | null {
  const { width, height, fx, fy, cx, cy } = camera;
  const z = depth[v * width + u];
  if (!valid(z)) return null;
  const x0 = ((u - cx) * z) / fx;
  const y0 = ((v - cy) * z) / fy;
  const f = (fx + fy) / 2;
  const rPx = (params.discRadius * f) / z;
  const r = Math.max(1, Math.ceil(rPx));
  // About 8 samples across the disc whatever its size in pixels.
  const step = Math.max(1, Math.round(r / 4));
  // Moments of the disc's points (a plane fit without allocating a point per pixel).
  let count = 0;
  let sx = 0;
  let sy = 0;
  let sz = 0;
  let sxx = 0;
  let sxy = 0;
  let sxz = 0;
  let syy = 0;
  let syz = 0;
  let szz = 0;
  let total = 0;
  for (let dy = -r; dy <= r; dy += step) {
    const y = v + dy;
    for (let dx = -r; dx <= r; dx += step) {
      if (dx * dx + dy * dy > rPx * rPx) continue;
      total++;
      const x = u + dx;
      if (x < 0 || y < 0 || x >= width || y >= height) continue;
      const d = depth[y * width + x];
      // Only the contact's own surface: a step means the disc hangs over an edge.
      if (!valid(d) || Math.abs(d - z) > 2 * params.edgeJump) continue;
      // Relative to the contact point, for precision.
      const px = ((x - cx) * d) / fx - x0;
      const py = ((y - cy) * d) / fy - y0;
      const pz = d - z;
      count++;
      sx += px;
      sy += py;
      sz += pz;
      sxx += px * px;
      sxy += px * py;
      sxz += px * pz;
      syy += py * py;
      syz += py * pz;
      szz += pz * pz;
    }
  }
  if (total === 0 || count < Math.max(3, params.minDiscCoverage * total)) return null;
  const mx = sx / count;
  const my = sy / count;
  const mz = sz / count;
  const cxy = sxy / count - mx * my;
  const cxz = sxz / count - mx * mz;
  const cyz = syz / count - my * mz;
  const a = EIGEN_A;
  a[0] = sxx / count - mx * mx;
  a[1] = cxy;
  a[2] = cxz;
  a[3] = cxy;
  a[4] = syy / count - my * my;
  a[5] = cyz;
  a[6] = cxz;
  a[7] = cyz;
  a[8] = szz / count - mz * mz;
  const vectors = EIGEN_V;
  symmetricEigen3InPlace(a, vectors);
  // The smallest eigenvalue (the first of equals, as indexOf(min) would pick): a[4k].
  let k = 0;
  if (a[4] < a[0]) k = 1;
  if (a[8] < a[4 * k]) k = 2;
  const rms = Math.sqrt(Math.max(0, a[4 * k]));
  const point = vec3(x0, y0, z);
  const normal = orientTowards(vec3(vectors[k], vectors[3 + k], vectors[6 + k]), point);
  const planarity = Math.exp(-((rms / params.planarityScale) ** 2)) * (count / total);
  // Approach: the surface normal against the support's normal and against the ray to the camera.
  const ray = 1 / Math.hypot(point.x, point.y, point.z);
  const cosRay = -(normal.x * point.x + normal.y * point.y + normal.z * point.z) * ray;
  const sn = analysis.plane?.normal;
  const cosSupport = sn ? normal.x * sn.x + normal.y * sn.y + normal.z * sn.z : cosRay;
  const cosMax = Math.cos((params.maxApproachDeg * Math.PI) / 180);
  const approach = Math.max(0, Math.min(1, (Math.min(cosRay, cosSupport) - cosMax) / (1 - cosMax)));
  const edgeMetres = (edgeDistanceAt(analysis, u, v) * z) / f;
  const edge = Math.max(0, Math.min(1, edgeMetres / params.discRadius));
  return {
    score: planarity * approach * edge,
    point,
    normal,
    planeRms: rms,
    planarity,
    approach,
    edge,
  };
}

/** Whether pixel i lies on a kept candidate surface: above the support, not touching the border. */
export function onKeptSurface(analysis: DepthAnalysis, i: number): boolean {
  const id = analysis.regions[i];
  return id > 0 && analysis.touchesBorder[id] === 0;
}

function candidate(u: number, v: number, seal: SealEstimate, score: number): SuctionGraspCandidate {
  return {
    u,
    v,
    score,
    point: seal.point,
    normal: seal.normal,
    orientation: quaternionFromZAxis(scaleVector(seal.normal, -1)),
    depthRepaired: false,
    planeRms: seal.planeRms,
  };
}

/** Greedy non-maximum suppression: best first, none within `radiusPx` of a kept one, at most `max`. */
export function suppressNonMaxima<T extends { u: number; v: number; score: number }>(
  items: readonly T[],
  radiusPx: number,
  max: number,
): T[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  const kept: T[] = [];
  const r2 = radiusPx * radiusPx;
  // Kept items in a grid of radius-sized cells: the ones within the radius are in the 3x3 cells around.
  const cell = Number.isFinite(radiusPx) && radiusPx > 0 ? radiusPx : 0;
  const grid = new Map<number, T[]>();
  const key = (cu: number, cv: number) => cu * 1048576 + cv;
  for (const g of sorted) {
    if (kept.length >= max) break;
    const near = (k: T) => (k.u - g.u) ** 2 + (k.v - g.v) ** 2 < r2;
    if (cell === 0) {
      if (kept.some(near)) continue;
      kept.push(g);
      continue;
    }
    const cu = Math.floor(g.u / cell);
    const cv = Math.floor(g.v / cell);
    let suppressed = false;
    for (let du = -1; du <= 1 && !suppressed; du++) {
      for (let dv = -1; dv <= 1 && !suppressed; dv++) {
        const list = grid.get(key(cu + du, cv + dv));
        if (list && list.some(near)) suppressed = true;
      }
    }
    if (suppressed) continue;
    kept.push(g);
    const k = key(cu, cv);
    const list = grid.get(k);
    if (list) list.push(g);
    else grid.set(k, [g]);
  }
  return kept;
}

/**
 * Non-maximum suppression that spreads grasps over surfaces: round 1 takes each surface's best
 * grasp (best surfaces first), round 2 each surface's second, and so on; within a round by score.
 * More objects get a grasp among the first few (object recall), and a surface's grasps keep their order.
 */
export function suppressBySurface<T extends { u: number; v: number; score: number }>(
  items: readonly T[],
  analysis: DepthAnalysis,
  radiusPx: number,
  max: number,
): T[] {
  const r2 = radiusPx * radiusPx;
  const kept: T[] = [];
  const bySurface = new Map<number, T[]>();
  for (const g of suppressNonMaxima(items, radiusPx, Infinity)) {
    const id = analysis.regions[g.v * analysis.width + g.u];
    const list = bySurface.get(id) ?? [];
    list.push(g);
    bySurface.set(id, list);
  }
  for (let round = 0; kept.length < max; round++) {
    const picks = [...bySurface.values()].map((l) => l[round]).filter((g): g is T => g !== undefined);
    if (picks.length === 0) break;
    picks.sort((a, b) => b.score - a.score);
    for (const g of picks) {
      if (kept.length >= max) break;
      if (!kept.some((k) => (k.u - g.u) ** 2 + (k.v - g.v) ** 2 < r2)) kept.push(g);
    }
  }
  return kept;
}

/** A grid pixel's seal estimate: the grasp it would be, built only if it survives suppression. */
export interface ScoredPixel {
  u: number;
  v: number;
  score: number;
  seal: SealEstimate;
}

/** Every scored pixel of the candidate grid on kept surfaces (before suppression). */
export function sealGrid(
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  analysis: DepthAnalysis,
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
): ScoredPixel[] {
  const { width, height } = camera;
  const f = (camera.fx + camera.fy) / 2;
  const out: ScoredPixel[] = [];
  const s = Math.max(1, Math.round(params.stridePx));
  for (let v = s >> 1; v < height; v += s) {
    for (let u = s >> 1; u < width; u += s) {
      const i = v * width + u;
      if (!onKeptSurface(analysis, i)) continue;
      // The edge term alone bounds the score: skip pixels it already rules out.
      const z = depth[i];
      if (((edgeDistanceAt(analysis, u, v) * z) / f) * (1 / params.discRadius) < params.minScore) continue;
      const seal = sealAt(depth, camera, analysis, u, v, params);
      if (seal && seal.score >= params.minScore) out.push({ u, v, score: seal.score, seal });
    }
  }
  return out;
}

/** A scored pixel as a grasp (its orientation is only computed here). */
export const graspOf = (p: ScoredPixel): SuctionGraspCandidate => candidate(p.u, p.v, p.seal, p.score);

/** Every scored candidate of the grid on kept surfaces (before suppression). */
export function geometricCandidates(
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  analysis: DepthAnalysis,
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
): SuctionGraspCandidate[] {
  return sealGrid(depth, camera, analysis, params).map(graspOf);
}

/**
 * Suction grasps from the measured depth alone (no model): the best seal scores on surfaces above the
 * support that do not touch the image border, non-maximum suppressed. An empty bin gives none.
 */
export function geometricGrasps(
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  nms: { nmsRadiusPx: number; maxGrasps: number },
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
  analysis: DepthAnalysis = analyseDepth(depth, camera, params),
): { grasps: SuctionGraspCandidate[]; analysis: DepthAnalysis } {
  const grid = sealGrid(depth, camera, analysis, params);
  return { grasps: suppressBySurface(grid, analysis, nms.nmsRadiusPx, nms.maxGrasps).map(graspOf), analysis };
}

/**
 * Network grasps checked on the measured depth: kept only on a surface above the support that does
 * not touch the border, re-scored as the geometric mean of the network's score and the seal score;
 * then geometric candidates fill up to `maxGrasps`, all non-maximum suppressed together.
 */
export function hybridGrasps(
  network: readonly SuctionGraspCandidate[],
  depth: Float32Array,
  camera: PinholeIntrinsics & { width: number; height: number },
  nms: { nmsRadiusPx: number; maxGrasps: number },
  params: GeometricGraspParams = DEFAULT_GEOMETRIC_PARAMS,
  analysis: DepthAnalysis = analyseDepth(depth, camera, params),
): { grasps: SuctionGraspCandidate[]; analysis: DepthAnalysis; verified: number } {
  const { width } = camera;
  const verified: SuctionGraspCandidate[] = [];
  for (const g of network) {
    const i = g.v * width + g.u;
    if (!onKeptSurface(analysis, i)) continue;
    const seal = sealAt(depth, camera, analysis, g.u, g.v, params);
    if (!seal) continue;
    const score = Math.sqrt(Math.max(0, g.score) * seal.score);
    if (score >= params.minScore) verified.push(candidate(g.u, g.v, seal, score));
  }
  const fill = sealGrid(depth, camera, analysis, params);
  const kept = suppressBySurface<SuctionGraspCandidate | ScoredPixel>(
    [...verified, ...fill],
    analysis,
    nms.nmsRadiusPx,
    nms.maxGrasps,
  );
  const grasps = kept.map((g) => ('seal' in g ? graspOf(g) : g));
  return { grasps, analysis, verified: kept.filter((g) => !('seal' in g)).length };
}
