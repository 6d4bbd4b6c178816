// The support plane (bin floor or table top) of a depth image, and every pixel's height above it.
// Deterministic RANSAC on a grid of back-projected pixels, then a least-squares refine (fitPlane).
// A plane is scored by its inliers, weighted towards the image centre (a camera looks at its
// workspace), minus a penalty for points clearly below it (a support has nothing under it: this
// rejects the top of a pile or a box lid), times the cosine of its normal's angle to the optical axis
// (a bin's side walls are seen edge-on). A well-supported parallel plane standing just above the
// winner (a bin floor on the table it stands on) is the support instead.
// Method and constants: docs/grasping.md#support-plane.
import { orientTowards, planeOfScatter } from './plane';
import { type Vec3, vec3 } from './vector';

/** Pinhole intrinsics in pixels (a CameraModel or the simulator's intrinsics fit). */
export interface PinholeIntrinsics {
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
}

/**
 * A plane in the camera's optical frame: signed height of a point p = dot(normal, p) + offset.
 * The normal faces the camera, so heights above the support are positive and `offset` is the
 * camera's own height above the plane.
 */
export interface SupportPlane {
  normal: Vec3;
  offset: number;
  /** Fraction of the sampled valid pixels within `inlierTolerance` of the plane. */
  inlierFraction: number;
  /** RMS distance of those inliers from the plane, metres. */
  rms: number;
  /** Angle between the normal and the camera's viewing direction (−optical axis), degrees. */
  tiltDeg: number;
}

export interface SupportPlaneOptions {
  /** Grid step of the sampled pixels (default: width / 80, at least 1: 8 px at 640×480). */
  step?: number;
  /** RANSAC hypotheses (default 200). */
  hypotheses?: number;
  /** A hypothesis' three points lie within this many pixels of each other (default width / 16). */
  sampleRadiusPx?: number;
  /** Distance from the plane an inlier may have, metres (default 0.006). */
  inlierTolerance?: number;
  /** Points further than this below the plane count against it, metres (default 0.02). */
  belowMargin?: number;
  /** ... up to this depth below it: the floor under a table is no evidence against the table (default 0.3). */
  belowRange?: number;
  /** Inliers a point below the plane costs (default 10). */
  belowPenalty?: number;
  /** Planes whose normal is further than this from the viewing direction are not a support, degrees (default 65). */
  maxTiltDeg?: number;
  /** Centre weighting: Gaussian of this standard deviation, in image widths (default 0.25). */
  centreSigma?: number;
  /**
   * A parallel plane up to `belowMargin` above the best one replaces it when it holds at least this
   * (centre-weighted) fraction of the valid pixels (default 0.15).
   */
  stackedFraction?: number;
  /** Fewest valid sampled pixels, and least inlier fraction, for a result (defaults 50 and 0.03). */
  minPoints?: number;
  minInlierFraction?: number;
  /** Seed of the sample schedule (default 1): the same image always gives the same plane. */
  seed?: number;
}

const DEFAULTS = {
  hypotheses: 200,
  inlierTolerance: 0.006,
  centreSigma: 0.25,
  stackedFraction: 0.15,
  belowMargin: 0.02,
  belowRange: 0.3,
  belowPenalty: 10,
  maxTiltDeg: 65,
  minPoints: 50,
  minInlierFraction: 0.03,
  seed: 1,
};

/** mulberry32: a tiny seeded generator, so the sample schedule is fixed by the seed. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Samples {
  /** Grid of back-projected points (x, y, z per cell; NaN where the depth is invalid). */
  grid: Float64Array;
  gw: number;
  gh: number;
  /** Indices of the valid cells. */
  valid: Int32Array;
  /** The valid cells' points packed (x, y, z each; same order as `valid`): the scoring loops read these. */
  points: Float64Array;
  /** Centre weight of each valid cell (same order), and their sum. */
  weight: Float64Array;
  totalWeight: number;
}

function samplePoints(
  depth: Float32Array,
  width: number,
  height: number,
  k: PinholeIntrinsics,
  step: number,
  centreSigma: number,
): Samples {
  const gw = Math.ceil(width / step);
  const gh = Math.ceil(height / step);
  const grid = new Float64Array(3 * gw * gh).fill(NaN);
  const valid = new Int32Array(gw * gh);
  const points = new Float64Array(3 * gw * gh);
  const weight = new Float64Array(gw * gh);
  let n = 0;
  let totalWeight = 0;
  const s2 = 2 * (centreSigma * width) ** 2;
  const mx = (width - 1) / 2;
  const my = (height - 1) / 2;
  for (let gy = 0; gy < gh; gy++) {
    // The centre pixel of each cell.
    const v = Math.min(height - 1, gy * step + (step >> 1));
    for (let gx = 0; gx < gw; gx++) {
      const u = Math.min(width - 1, gx * step + (step >> 1));
      const z = depth[v * width + u];
      if (!(z > 0) || z === Infinity) continue;
      const c = gy * gw + gx;
      const x = ((u - k.cx) * z) / k.fx;
      const y = ((v - k.cy) * z) / k.fy;
      grid[3 * c] = x;
      grid[3 * c + 1] = y;
      grid[3 * c + 2] = z;
      points[3 * n] = x;
      points[3 * n + 1] = y;
      points[3 * n + 2] = z;
      valid[n] = c;
      const w = Math.exp(-((u - mx) ** 2 + (v - my) ** 2) / s2);
      weight[n] = w;
      totalWeight += w;
      n++;
    }
  }
  return {
    grid,
    gw,
    gh,
    valid: valid.slice(0, n),
    points: points.slice(0, 3 * n),
    weight: weight.slice(0, n),
    totalWeight,
  };
}

interface Hypothesis {
  nx: number;
  ny: number;
  nz: number;
  d: number;
  score: number;
  /** Inlier count and their centre-weighted sum. */
  inliers: number;
  support: number;
}

/** Plane through three points, normal towards the camera; null when they are (nearly) collinear. */
function planeThrough(g: Float64Array, a: number, b: number, c: number): Hypothesis | null {
  const ax = g[3 * a];
  const ay = g[3 * a + 1];
  const az = g[3 * a + 2];
  const ux = g[3 * b] - ax;
  const uy = g[3 * b + 1] - ay;
  const uz = g[3 * b + 2] - az;
  const vx = g[3 * c] - ax;
  const vy = g[3 * c + 1] - ay;
  const vz = g[3 * c + 2] - az;
  let nx = uy * vz - uz * vy;
  let ny = uz * vx - ux * vz;
  let nz = ux * vy - uy * vx;
  const n = Math.hypot(nx, ny, nz);
  const span = Math.hypot(ux, uy, uz) * Math.hypot(vx, vy, vz);
  if (!(n > 1e-3 * span) || !(n > 0)) return null;
  nx /= n;
  ny /= n;
  nz /= n;
  let d = -(nx * ax + ny * ay + nz * az);
  // Towards the camera: the origin has positive height.
  if (d < 0) {
    nx = -nx;
    ny = -ny;
    nz = -nz;
    d = -d;
  }
  return { nx, ny, nz, d, score: -Infinity, inliers: 0, support: 0 };
}

function score(
  h: Hypothesis,
  s: Samples,
  o: typeof DEFAULTS,
  cosMaxTilt: number,
): { score: number; inliers: number; support: number } {
  // Viewing direction is −z: cos(tilt) = −nz.
  const cosTilt = -h.nz;
  if (cosTilt < cosMaxTilt) return { score: -Infinity, inliers: 0, support: 0 };
  const { points: p, weight } = s;
  const { nx, ny, nz, d } = h;
  const tol = o.inlierTolerance;
  const margin = -o.belowMargin;
  const range = -o.belowRange;
  let inliers = 0;
  let support = 0;
  let below = 0;
  for (let i = 0, c = 0; i < weight.length; i++, c += 3) {
    const dist = nx * p[c] + ny * p[c + 1] + nz * p[c + 2] + d;
    if (Math.abs(dist) <= tol) {
      inliers++;
      support += weight[i];
    } else if (dist < margin && dist > range) below += weight[i];
  }
  return { score: (support - o.belowPenalty * below) * cosTilt, inliers, support };
}

/** Mean height of `upper`'s inliers above `lower`, and the fraction of them that are `lower`'s inliers too. */
function stacking(
  lower: Hypothesis,
  upper: Hypothesis,
  s: Samples,
  tolerance: number,
): { rise: number; shared: number } {
  const p = s.points;
  let n = 0;
  let sum = 0;
  let shared = 0;
  for (let c = 0; c < p.length; c += 3) {
    const x = p[c];
    const y = p[c + 1];
    const z = p[c + 2];
    if (Math.abs(upper.nx * x + upper.ny * y + upper.nz * z + upper.d) > tolerance) continue;
    const h = lower.nx * x + lower.ny * y + lower.nz * z + lower.d;
    n++;
    sum += h;
    if (Math.abs(h) <= tolerance) shared++;
  }
  return n > 0 ? { rise: sum / n, shared: shared / n } : { rise: 0, shared: 1 };
}

/**
 * Least-squares plane through the points within `tolerance` of `h` (fitPlane's arithmetic on the
 * packed points, without a Vec3 per point; `mask` is scratch for the inlier flags): null when fewer
 * than 3 or collinear.
 */
function fitInliers(
  h: Hypothesis,
  p: Float64Array,
  tolerance: number,
  mask: Uint8Array,
): { normal: Vec3; centroid: Vec3; rms: number; count: number } | null {
  const { nx, ny, nz, d } = h;
  let n = 0;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (let i = 0, c = 0; c < p.length; i++, c += 3) {
    const inlier = Math.abs(nx * p[c] + ny * p[c + 1] + nz * p[c + 2] + d) <= tolerance;
    mask[i] = inlier ? 1 : 0;
    if (!inlier) continue;
    n++;
    cx += p[c];
    cy += p[c + 1];
    cz += p[c + 2];
  }
  if (n < 3) return null;
  cx /= n;
  cy /= n;
  cz /= n;
  let xx = 0;
  let xy = 0;
  let xz = 0;
  let yy = 0;
  let yz = 0;
  let zz = 0;
  for (let i = 0, c = 0; c < p.length; i++, c += 3) {
    if (mask[i] === 0) continue;
    const dx = p[c] - cx;
    const dy = p[c + 1] - cy;
    const dz = p[c + 2] - cz;
    xx += dx * dx;
    xy += dx * dy;
    xz += dx * dz;
    yy += dy * dy;
    yz += dy * dz;
    zz += dz * dz;
  }
  const fit = planeOfScatter([xx, xy, xz, xy, yy, yz, xz, yz, zz], vec3(cx, cy, cz), n);
  return fit && { ...fit, count: n };
}

/** Least-squares plane through the inliers of `h` (twice: the second pass uses the first's inliers). */
function refine(h: Hypothesis, s: Samples, tolerance: number): { h: Hypothesis; rms: number } {
  let cur = h;
  let rms = 0;
  const mask = new Uint8Array(s.weight.length);
  for (let pass = 0; pass < 2; pass++) {
    const fit = fitInliers(cur, s.points, tolerance, mask);
    if (!fit) break;
    const n = orientTowards(fit.normal, fit.centroid);
    const d = -(n.x * fit.centroid.x + n.y * fit.centroid.y + n.z * fit.centroid.z);
    cur = { nx: n.x, ny: n.y, nz: n.z, d, score: cur.score, inliers: fit.count, support: cur.support };
    rms = fit.rms;
  }
  return { h: cur, rms };
}

/**
 * The dominant support plane of a depth image (metres; NaN, 0 or negative = invalid), or null when
 * too few pixels are valid or no plane faces the camera. Deterministic for a given image and options.
 */
export function fitSupportPlane(
  depth: Float32Array,
  width: number,
  height: number,
  intrinsics: PinholeIntrinsics,
  options: SupportPlaneOptions = {},
): SupportPlane | null {
  if (depth.length !== width * height) {
    throw new Error(`depth has ${depth.length} values, ${width}x${height} needs ${width * height}`);
  }
  const o = { ...DEFAULTS, ...options };
  const step = Math.max(1, Math.round(options.step ?? width / 80));
  const s = samplePoints(depth, width, height, intrinsics, step, o.centreSigma);
  const n = s.valid.length;
  if (n < Math.max(3, o.minPoints)) return null;
  const cosMaxTilt = Math.cos((o.maxTiltDeg * Math.PI) / 180);
  const radius = Math.max(1, Math.round((options.sampleRadiusPx ?? width / 16) / step));
  const random = generator(o.seed);
  const cellAround = (c: number): number => {
    // A valid cell within `radius` cells of c (a few tries, then give up).
    const cx = c % s.gw;
    const cy = Math.floor(c / s.gw);
    for (let t = 0; t < 8; t++) {
      const x = cx + Math.round((2 * random() - 1) * radius);
      const y = cy + Math.round((2 * random() - 1) * radius);
      if (x < 0 || y < 0 || x >= s.gw || y >= s.gh) continue;
      const k = y * s.gw + x;
      if (k !== c && !Number.isNaN(s.grid[3 * k])) return k;
    }
    return -1;
  };
  const candidates: Hypothesis[] = [];
  for (let i = 0; i < o.hypotheses; i++) {
    const a = s.valid[Math.floor(random() * n)];
    const b = cellAround(a);
    const c = cellAround(a);
    if (b < 0 || c < 0 || b === c) continue;
    const h = planeThrough(s.grid, a, b, c);
    if (!h) continue;
    const r = score(h, s, o, cosMaxTilt);
    if (r.score === -Infinity) continue;
    candidates.push({ ...h, ...r });
  }
  // The best few distinct raw hypotheses, refined by least squares and scored again.
  candidates.sort((p, q) => q.score - p.score);
  const same = (p: Hypothesis, q: Hypothesis) =>
    p.nx * q.nx + p.ny * q.ny + p.nz * q.nz > Math.cos((3 * Math.PI) / 180) &&
    Math.abs(p.d - q.d) < o.inlierTolerance;
  const distinct: Hypothesis[] = [];
  for (const h of candidates) {
    if (distinct.length >= 12) break;
    if (!distinct.some((q) => same(h, q))) distinct.push(h);
  }
  const refined: { h: Hypothesis; rms: number }[] = [];
  for (const h of distinct) {
    const r = refine(h, s, o.inlierTolerance);
    const sc = score(r.h, s, o, cosMaxTilt);
    if (sc.score === -Infinity || sc.score <= 0) continue;
    refined.push({ h: { ...r.h, ...sc }, rms: r.rms });
  }
  if (refined.length === 0) return null;
  refined.sort((p, q) => q.h.score - p.h.score);
  let best = refined[0];
  // A support standing on the best plane (a bin floor on its table): parallel, its own pixels (not
  // the best plane's, as a warped floor's second fit would be) a little above it, and holding a fair
  // share of the view. The highest such plane wins.
  const cosParallel = Math.cos((2 * Math.PI) / 180);
  let bestRise = 0;
  for (const r of refined) {
    const parallel = r.h.nx * best.h.nx + r.h.ny * best.h.ny + r.h.nz * best.h.nz > cosParallel;
    if (!parallel || r.h.support < o.stackedFraction * s.totalWeight) continue;
    const { rise, shared } = stacking(refined[0].h, r.h, s, o.inlierTolerance);
    if (rise > o.inlierTolerance && rise <= o.belowMargin && shared < 0.2 && rise > bestRise) {
      best = r;
      bestRise = rise;
    }
  }
  const inlierFraction = best.h.inliers / n;
  if (inlierFraction < o.minInlierFraction) return null;
  const { nx, ny, nz, d } = best.h;
  return {
    normal: vec3(nx, ny, nz),
    offset: d,
    inlierFraction,
    rms: best.rms,
    tiltDeg: (Math.acos(Math.min(1, Math.max(-1, -nz))) * 180) / Math.PI,
  };
}

/** Signed height of an optical-frame point above the plane, metres. */
export function heightOfPoint(plane: SupportPlane, p: Vec3): number {
  return plane.normal.x * p.x + plane.normal.y * p.y + plane.normal.z * p.z + plane.offset;
}

/** Per-column terms of the height above a plane: nx (u − cx) / fx for each column u (heightRow). */
export function heightColumnTerms(
  width: number,
  intrinsics: PinholeIntrinsics,
  plane: SupportPlane,
  out: Float64Array = new Float64Array(width),
): Float64Array {
  for (let u = 0; u < width; u++) out[u] = (plane.normal.x * (u - intrinsics.cx)) / intrinsics.fx;
  return out;
}

/**
 * One image row's signed heights above the plane (NaN where the depth is invalid) into
 * out[at, at + width): h = z · (nx (u − cx) / fx + ny (v − cy) / fy + nz) + offset, with the column terms
 * of heightColumnTerms. heightAbovePlane is this, row after row.
 */
export function heightRow(
  depth: Float32Array,
  width: number,
  v: number,
  intrinsics: PinholeIntrinsics,
  plane: SupportPlane,
  col: Float64Array,
  out: Float32Array,
  at: number,
): void {
  const rowTerm = (plane.normal.y * (v - intrinsics.cy)) / intrinsics.fy + plane.normal.z;
  const row = v * width;
  for (let u = 0; u < width; u++) {
    const z = depth[row + u];
    out[at + u] = z > 0 && z !== Infinity ? z * (col[u] + rowTerm) + plane.offset : NaN;
  }
}

/**
 * Every pixel's signed height above the plane, metres (NaN where the depth is invalid). `out` is
 * reused when given (width × height values).
 */
export function heightAbovePlane(
  depth: Float32Array,
  width: number,
  height: number,
  intrinsics: PinholeIntrinsics,
  plane: SupportPlane,
  out: Float32Array = new Float32Array(width * height),
): Float32Array {
  if (depth.length !== width * height || out.length !== width * height) {
    throw new Error(`depth and output need ${width * height} values (${width}x${height})`);
  }
  const col = heightColumnTerms(width, intrinsics, plane);
  for (let v = 0; v < height; v++) heightRow(depth, width, v, intrinsics, plane, col, out, v * width);
  return out;
}
