// 3-D convex hull of a small point set (tens to hundreds of points), incremental: each point
// outside the hull replaces the faces it sees by a fan from their horizon. O(n·faces), fine for
// the procedural families; written here because it is 100 lines and the families need it
// synchronously (rapier's hull needs its WebAssembly loaded).
import { MeshError } from './mesh-geometry';

interface Face {
  a: number;
  b: number;
  c: number;
  nx: number;
  ny: number;
  nz: number;
  d: number;
  alive: boolean;
}

/** Hull triangles (outward, counter-clockwise) over the used points, re-indexed compactly. */
export function convexHull(points: ArrayLike<number>): { positions: Float64Array; indices: Uint32Array } {
  const n = points.length / 3;
  if (n < 4) throw new MeshError(`convex hull needs at least 4 points, got ${n}`);
  const P = (i: number, k: number): number => points[3 * i + k];
  let extent = 0;
  for (let i = 0; i < points.length; i++) extent = Math.max(extent, Math.abs(points[i]));
  const eps = 1e-10 * Math.max(extent, 1e-3);

  // Initial tetrahedron: extreme x, farthest from it, farthest from their line, farthest from the plane.
  let i0 = 0;
  for (let i = 1; i < n; i++) if (P(i, 0) < P(i0, 0)) i0 = i;
  const dist2 = (i: number, j: number): number =>
    (P(i, 0) - P(j, 0)) ** 2 + (P(i, 1) - P(j, 1)) ** 2 + (P(i, 2) - P(j, 2)) ** 2;
  let i1 = i0;
  for (let i = 0; i < n; i++) if (dist2(i, i0) > dist2(i1, i0)) i1 = i;
  const cross = (
    ax: number,
    ay: number,
    az: number,
    bx: number,
    by: number,
    bz: number,
  ): [number, number, number] => [ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx];
  const sub = (i: number, j: number): [number, number, number] => [
    P(i, 0) - P(j, 0),
    P(i, 1) - P(j, 1),
    P(i, 2) - P(j, 2),
  ];
  let i2 = -1;
  let best = eps * eps;
  const line = sub(i1, i0);
  for (let i = 0; i < n; i++) {
    const c = cross(...line, ...sub(i, i0));
    const a = c[0] ** 2 + c[1] ** 2 + c[2] ** 2;
    if (a > best) {
      best = a;
      i2 = i;
    }
  }
  if (i2 < 0) throw new MeshError('convex hull of collinear points');
  const planeN = cross(...line, ...sub(i2, i0));
  let i3 = -1;
  best = eps;
  for (let i = 0; i < n; i++) {
    const s = sub(i, i0);
    const h = Math.abs(planeN[0] * s[0] + planeN[1] * s[1] + planeN[2] * s[2]) / Math.hypot(...planeN);
    if (h > best) {
      best = h;
      i3 = i;
    }
  }
  if (i3 < 0) throw new MeshError('convex hull of coplanar points (no volume)');

  const faces: Face[] = [];
  const centre = [0, 1, 2].map((k) => (P(i0, k) + P(i1, k) + P(i2, k) + P(i3, k)) / 4);
  const makeFace = (a: number, b: number, c: number): Face => {
    const [nx, ny, nz] = cross(...sub(b, a), ...sub(c, a));
    const len = Math.hypot(nx, ny, nz) || 1;
    const f = { a, b, c, nx: nx / len, ny: ny / len, nz: nz / len, d: 0, alive: true };
    f.d = f.nx * P(a, 0) + f.ny * P(a, 1) + f.nz * P(a, 2);
    return f;
  };
  for (const [a, b, c] of [
    [i0, i1, i2],
    [i0, i1, i3],
    [i0, i2, i3],
    [i1, i2, i3],
  ]) {
    let f = makeFace(a, b, c);
    if (f.nx * centre[0] + f.ny * centre[1] + f.nz * centre[2] - f.d > 0) f = makeFace(a, c, b);
    faces.push(f);
  }
  const height = (f: Face, i: number): number => f.nx * P(i, 0) + f.ny * P(i, 1) + f.nz * P(i, 2) - f.d;
  for (let i = 0; i < n; i++) {
    if (i === i0 || i === i1 || i === i2 || i === i3) continue;
    const visible = faces.filter((f) => f.alive && height(f, i) > eps);
    if (visible.length === 0) continue;
    const directed = new Set<string>();
    for (const f of visible)
      for (const [a, b] of [
        [f.a, f.b],
        [f.b, f.c],
        [f.c, f.a],
      ])
        directed.add(`${a},${b}`);
    for (const f of visible) {
      f.alive = false;
      for (const [a, b] of [
        [f.a, f.b],
        [f.b, f.c],
        [f.c, f.a],
      ]) {
        // A horizon edge borders a face that stays: its reverse is not among the visible faces' edges.
        if (!directed.has(`${b},${a}`)) faces.push(makeFace(a, b, i));
      }
    }
  }
  const alive = faces.filter((f) => f.alive);
  const remap = new Map<number, number>();
  const positions: number[] = [];
  const indices: number[] = [];
  for (const f of alive) {
    for (const v of [f.a, f.b, f.c]) {
      if (!remap.has(v)) {
        remap.set(v, positions.length / 3);
        positions.push(P(v, 0), P(v, 1), P(v, 2));
      }
      indices.push(remap.get(v)!);
    }
  }
  return { positions: Float64Array.from(positions), indices: Uint32Array.from(indices) };
}
