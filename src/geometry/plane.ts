// Least-squares plane through 3-D points: the normal is the covariance's smallest eigenvector.
// Hand-written (a cyclic Jacobi sweep on a 3x3 symmetric matrix, ~30 lines): no numeric library is a
// dependency, and this is the only eigenproblem the package solves.
import { type Vec3, vec3 } from './vector';

export interface PlaneFit {
  /** Unit normal (sign arbitrary; orient it with `orientTowards`). */
  normal: Vec3;
  centroid: Vec3;
  /** Root-mean-square distance of the points from the plane, metres. */
  rms: number;
}

/** Eigen-decomposition of a symmetric 3x3 matrix (row-major): eigenvalues and eigenvectors as columns. */
export function symmetricEigen3(m: readonly number[]): { values: number[]; vectors: number[] } {
  const a = Float64Array.from(m);
  const v = new Float64Array(9);
  symmetricEigen3InPlace(a, v);
  return { values: [a[0], a[4], a[8]], vectors: Array.from(v) };
}

/** The rotation pairs (p, q) of a cyclic Jacobi sweep. */
const JACOBI_PAIRS = [0, 1, 0, 2, 1, 2];

/**
 * symmetricEigen3 without allocating (for hot loops): `a` holds the matrix (row-major) and is
 * diagonalised in place (eigenvalues a[0], a[4], a[8]); `v` receives the eigenvectors as columns.
 */
export function symmetricEigen3InPlace(a: Float64Array, v: Float64Array): void {
  v.fill(0);
  v[0] = 1;
  v[4] = 1;
  v[8] = 1;
  for (let sweep = 0; sweep < 50; sweep++) {
    const off = a[1] * a[1] + a[2] * a[2] + a[5] * a[5];
    if (off < 1e-30) break;
    for (let pair = 0; pair < 6; pair += 2) {
      const p = JACOBI_PAIRS[pair];
      const q = JACOBI_PAIRS[pair + 1];
      const apq = a[3 * p + q];
      if (Math.abs(apq) < 1e-300) continue;
      const theta = (a[3 * q + q] - a[3 * p + p]) / (2 * apq);
      const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
      const c = 1 / Math.sqrt(t * t + 1);
      const s = t * c;
      for (let k = 0; k < 3; k++) {
        // A' = J^T A J, applied as column then row rotations.
        const akp = a[3 * k + p];
        const akq = a[3 * k + q];
        a[3 * k + p] = c * akp - s * akq;
        a[3 * k + q] = s * akp + c * akq;
      }
      for (let k = 0; k < 3; k++) {
        const apk = a[3 * p + k];
        const aqk = a[3 * q + k];
        a[3 * p + k] = c * apk - s * aqk;
        a[3 * q + k] = s * apk + c * aqk;
      }
      for (let k = 0; k < 3; k++) {
        const vkp = v[3 * k + p];
        const vkq = v[3 * k + q];
        v[3 * k + p] = c * vkp - s * vkq;
        v[3 * k + q] = s * vkp + c * vkq;
      }
    }
  }
}

/** Plane through at least 3 points; null when they are fewer or collinear. */
export function fitPlane(points: readonly Vec3[]): PlaneFit | null {
  const n = points.length;
  if (n < 3) return null;
  let cx = 0;
  let cy = 0;
  let cz = 0;
  for (const p of points) {
    cx += p.x;
    cy += p.y;
    cz += p.z;
  }
  cx /= n;
  cy /= n;
  cz /= n;
  const c = [0, 0, 0, 0, 0, 0, 0, 0, 0];
  for (const p of points) {
    const d = [p.x - cx, p.y - cy, p.z - cz];
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) c[3 * i + j] += d[i] * d[j];
  }
  return planeOfScatter(c, vec3(cx, cy, cz), n);
}

/**
 * The least-squares plane of `n` points from their centroid and scatter matrix (sums of centred
 * products, row-major 3x3): null when the points are collinear.
 */
export function planeOfScatter(scatter: readonly number[], centroid: Vec3, n: number): PlaneFit | null {
  const { values, vectors } = symmetricEigen3(scatter);
  const order = [0, 1, 2].sort((i, j) => values[i] - values[j]);
  // Collinear: the two largest spreads are not both significant.
  if (values[order[1]] <= 1e-12 * Math.max(1e-30, values[order[2]])) return null;
  const k = order[0];
  const normal = vec3(vectors[k], vectors[3 + k], vectors[6 + k]);
  return { normal, centroid, rms: Math.sqrt(Math.max(0, values[k]) / n) };
}

/** The normal flipped, if needed, to face `viewpoint` from `point` (e.g. the camera at the origin). */
export function orientTowards(normal: Vec3, point: Vec3, viewpoint: Vec3 = vec3(0, 0, 0)): Vec3 {
  const dx = viewpoint.x - point.x;
  const dy = viewpoint.y - point.y;
  const dz = viewpoint.z - point.z;
  return normal.x * dx + normal.y * dy + normal.z * dz >= 0 ? normal : vec3(-normal.x, -normal.y, -normal.z);
}
