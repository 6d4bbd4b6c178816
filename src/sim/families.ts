// Procedural object families beyond the five analytic primitives (after Tobin et al.: random
// procedural objects): superquadrics (rounded boxes, cans, pillows, blobs, pouches), lathe bodies
// (bottles, jars; cups and bowls with open tops), extrusions of random star-shaped outlines (flat
// parts, blister packs), thin cards and random convex hulls. Each is a closed triangle mesh
// (rendered exactly by the BVH ray caster) plus convex pieces that tile the solid for rapier:
// one hull for convex families, frusta for solid lathe bodies, wall sectors for cups and bowls,
// triangular prisms for extrusions. Pure and seeded: same rng state → same shape.
import { convexHull } from './mesh-hull';
import { createTriangleMesh } from './mesh-geometry';
import { type Rng } from './random';
import { randomShape } from './scene';
import {
  type MeshFamily,
  type MeshShape,
  OBJECT_FAMILIES,
  type ObjectFamily,
  type Shape,
  SHAPE_KINDS,
  type ShapeKind,
} from './shapes';

export { OBJECT_FAMILIES, type ObjectFamily };

/** Triangles plus the convex point sets that tile the same solid. */
export interface MeshParts {
  positions: number[];
  indices: number[];
  pieces: number[][];
}

/** Sectors around the axis of superquadrics and lathe bodies (chord error ≤ 0.5 mm at r = 6 cm). */
const SEGMENTS = 24;
/** Latitude rings of superquadrics. */
const RINGS = 16;
/**
 * Resolution of the hulls physics collides with. Rapier's contacts between a box and hulls of a
 * few hundred vertices were measured to jitter and sink (a pouch spinning at 6 rad/s after 3 s,
 * its centre below the floor); 8 × 12 (superquadrics) and 12 sectors (lathe bodies) settle in
 * about a second. The coarse hull is inscribed in the rendered surface (≤ 1.5 mm inside).
 */
const PHYSICS_RINGS = 8;
const PHYSICS_SEGMENTS = 12;
/** Coarse points move out by half the chord sag, so the hull straddles the surface (±0.8 mm at 4.5 cm). */
const PHYSICS_INFLATE = (1 + 1 / Math.cos(Math.PI / PHYSICS_SEGMENTS)) / 2;

const signedPow = (x: number, e: number): number => Math.sign(x) * Math.abs(x) ** e;

export interface SuperquadricParams {
  /** Semi-axes along x, y, z, metres. */
  a: number;
  b: number;
  c: number;
  /** Exponent of the latitude (z) profile: small = flat top and bottom, 1 = round, 2 = pinched. */
  e1: number;
  /** Exponent of the cross-section: small = square, 1 = elliptic. */
  e2: number;
}

/**
 * Surface |x/a|^(2/e2) + |y/b|^(2/e2))^(e2/e1) + |z/c|^(2/e1) = 1 sampled on latitude rings with
 * a vertex at each pole. Convex for e1, e2 ≤ 2: one piece, its own vertices.
 */
export function superquadric(p: SuperquadricParams, rings = RINGS, segments = SEGMENTS): MeshParts {
  const positions: number[] = [0, 0, -p.c];
  for (let i = 1; i < rings; i++) {
    const eta = -Math.PI / 2 + (Math.PI * i) / rings;
    const ce = signedPow(Math.cos(eta), p.e1);
    const z = p.c * signedPow(Math.sin(eta), p.e1);
    for (let j = 0; j < segments; j++) {
      const w = (2 * Math.PI * j) / segments;
      positions.push(p.a * ce * signedPow(Math.cos(w), p.e2), p.b * ce * signedPow(Math.sin(w), p.e2), z);
    }
  }
  positions.push(0, 0, p.c);
  const top = positions.length / 3 - 1;
  const coarse =
    rings > PHYSICS_RINGS
      ? superquadric(p, PHYSICS_RINGS, PHYSICS_SEGMENTS).positions.map((x) => x * PHYSICS_INFLATE)
      : positions;
  const ring = (i: number, j: number): number => 1 + (i - 1) * segments + (j % segments);
  const indices: number[] = [];
  for (let j = 0; j < segments; j++) {
    indices.push(0, ring(1, j + 1), ring(1, j));
    indices.push(top, ring(rings - 1, j), ring(rings - 1, j + 1));
    for (let i = 1; i < rings - 1; i++) {
      indices.push(ring(i, j), ring(i, j + 1), ring(i + 1, j + 1));
      indices.push(ring(i, j), ring(i + 1, j + 1), ring(i + 1, j));
    }
  }
  return { positions, indices, pieces: [coarse] };
}

/** Profile point of a lathe body: radius and height, metres. */
export type ProfilePoint = [r: number, z: number];

/**
 * Surface of revolution about z of a profile that starts and ends on the axis (r = 0); the
 * points between are rings of `segments` vertices. Pieces are left to the caller.
 */
export function latheSurface(
  profile: readonly ProfilePoint[],
  segments = SEGMENTS,
): { positions: number[]; indices: number[] } {
  const positions: number[] = [];
  const ringStart: number[] = [];
  profile.forEach(([r, z], k) => {
    ringStart.push(positions.length / 3);
    if (k === 0 || k === profile.length - 1) positions.push(0, 0, z);
    else {
      for (let j = 0; j < segments; j++) {
        const w = (2 * Math.PI * j) / segments;
        positions.push(r * Math.cos(w), r * Math.sin(w), z);
      }
    }
  });
  const at = (k: number, j: number): number =>
    k === 0 || k === profile.length - 1 ? ringStart[k] : ringStart[k] + (j % segments);
  const indices: number[] = [];
  for (let k = 0; k < profile.length - 1; k++) {
    for (let j = 0; j < segments; j++) {
      const a = at(k, j);
      const b = at(k, j + 1);
      const c = at(k + 1, j + 1);
      const d = at(k + 1, j);
      // Quads between consecutive rings; the axis ends give single triangles.
      if (a !== b) indices.push(a, b, c);
      if (c !== d) indices.push(a, c, d);
    }
  }
  return { positions, indices };
}

function ringPoints(r: number, z: number, segments = SEGMENTS): number[] {
  const out: number[] = [];
  for (let j = 0; j < segments; j++) {
    const w = (2 * Math.PI * j) / segments;
    out.push(r * Math.cos(w), r * Math.sin(w), z);
  }
  return out;
}

/** A solid lathe body from side points (r, z) with strictly increasing z, closed on the axis. */
export function solidLathe(side: readonly ProfilePoint[]): MeshParts {
  const profile: ProfilePoint[] = [[0, side[0][1]], ...side, [0, side[side.length - 1][1]]];
  const { positions, indices } = latheSurface(profile);
  // One frustum per side segment: slabs of a surface of revolution between two rings are convex.
  const pieces: number[][] = [];
  for (let k = 0; k < side.length - 1; k++) {
    pieces.push([
      ...ringPoints(side[k][0] * PHYSICS_INFLATE, side[k][1], PHYSICS_SEGMENTS),
      ...ringPoints(side[k + 1][0] * PHYSICS_INFLATE, side[k + 1][1], PHYSICS_SEGMENTS),
    ]);
  }
  return { positions, indices, pieces };
}

/**
 * An open-topped shell (cup, bowl): `outer` runs from the outer bottom edge to the rim, `inner`
 * (same length) from the inner bottom edge to the rim; the base is a disc between z = outer[0] and
 * z = inner[0]. Pieces: the base frustum and one hull per wall segment and physics sector.
 * The wall pieces use the physics resolution (12 sectors, every point moved out by
 * PHYSICS_INFLATE, so each slab keeps the wall's thickness and straddles the rendered wall):
 * rapier's cost grows with the pairs of touching pieces, and a bowl's 73 pieces at 24 sectors made
 * a pile of bowls 40 ms a step (37 pieces: 9 ms).
 */
export function shellLathe(outer: readonly ProfilePoint[], inner: readonly ProfilePoint[]): MeshParts {
  const profile: ProfilePoint[] = [[0, outer[0][1]], ...outer, ...[...inner].reverse(), [0, inner[0][1]]];
  const { positions, indices } = latheSurface(profile);
  const k = PHYSICS_INFLATE;
  const pieces: number[][] = [
    [
      ...ringPoints(outer[0][0] * k, outer[0][1], PHYSICS_SEGMENTS),
      ...ringPoints(inner[0][0] * k, inner[0][1], PHYSICS_SEGMENTS),
    ],
  ];
  for (let s = 0; s < outer.length - 1; s++) {
    for (let j = 0; j < PHYSICS_SEGMENTS; j++) {
      const piece: number[] = [];
      for (const [r, z] of [outer[s], outer[s + 1], inner[s], inner[s + 1]]) {
        for (const jj of [j, j + 1]) {
          const w = (2 * Math.PI * jj) / PHYSICS_SEGMENTS;
          piece.push(k * r * Math.cos(w), k * r * Math.sin(w), z);
        }
      }
      pieces.push(piece);
    }
  }
  return { positions, indices, pieces };
}

/** A closed box mesh with half extents (hx, hy, hz) around `centre`. */
export function boxParts(
  hx: number,
  hy: number,
  hz: number,
  centre: [number, number, number] = [0, 0, 0],
): MeshParts {
  const positions: number[] = [];
  for (let k = 0; k < 8; k++) {
    positions.push(
      centre[0] + (k & 1 ? hx : -hx),
      centre[1] + (k & 2 ? hy : -hy),
      centre[2] + (k & 4 ? hz : -hz),
    );
  }
  // Outward winding is fixed by createTriangleMesh; only the topology matters here.
  const quads = [
    [0, 2, 3, 1],
    [4, 5, 7, 6],
    [0, 1, 5, 4],
    [2, 6, 7, 3],
    [0, 4, 6, 2],
    [1, 3, 7, 5],
  ];
  const indices = quads.flatMap(([a, b, c, d]) => [a, b, c, a, c, d]);
  return { positions, indices, pieces: [positions] };
}

/**
 * A prism of height `thickness` (centred on z = 0) over a star-shaped outline around the origin,
 * given as points at increasing angles. Pieces: one triangular prism per outline edge.
 */
export function extrudeStar(outline: readonly [number, number][], thickness: number): MeshParts {
  const n = outline.length;
  const h = thickness / 2;
  const positions: number[] = [0, 0, -h, 0, 0, h];
  for (const [x, y] of outline) positions.push(x, y, -h, x, y, h);
  const lo = (i: number): number => 2 + 2 * (i % n);
  const hi = (i: number): number => 3 + 2 * (i % n);
  const indices: number[] = [];
  const pieces: number[][] = [];
  for (let i = 0; i < n; i++) {
    indices.push(
      0,
      lo(i + 1),
      lo(i),
      1,
      hi(i),
      hi(i + 1),
      lo(i),
      lo(i + 1),
      hi(i + 1),
      lo(i),
      hi(i + 1),
      hi(i),
    );
    const [x0, y0] = outline[i];
    const [x1, y1] = outline[(i + 1) % n];
    pieces.push([0, 0, -h, 0, 0, h, x0, y0, -h, x0, y0, h, x1, y1, -h, x1, y1, h]);
  }
  return { positions, indices, pieces };
}

/** Several closed parts as one mesh (parts may touch, not overlap: volumes add up). */
function joinParts(parts: readonly MeshParts[]): MeshParts {
  const out: MeshParts = { positions: [], indices: [], pieces: [] };
  for (const p of parts) {
    const base = out.positions.length / 3;
    out.positions.push(...p.positions);
    out.indices.push(...p.indices.map((i) => i + base));
    out.pieces.push(...p.pieces);
  }
  return out;
}

/** A random star-shaped outline of `n` points, radii in [rMin, rMax] (angles jittered, increasing). */
function starOutline(rng: Rng, n: number, rMin: number, rMax: number, aspect: number): [number, number][] {
  return Array.from({ length: n }, (_, i) => {
    const w = ((i + rng.uniform(-0.3, 0.3)) / n) * 2 * Math.PI;
    const r = rng.uniform(rMin, rMax);
    return [r * Math.cos(w), aspect * r * Math.sin(w)] as [number, number];
  });
}

/** The family's mesh parts drawn from `rng` (sizes within 3–12 cm like the analytic families). */
export function randomMeshParts(rng: Rng, family: Exclude<MeshFamily, 'custom'>): MeshParts {
  switch (family) {
    case 'rounded_box': {
      const [hx, hy, hz] = [rng.uniform(0.02, 0.06), rng.uniform(0.02, 0.06), rng.uniform(0.015, 0.05)];
      if (rng.next() < 0.5) {
        const e = rng.uniform(0.15, 0.4);
        return superquadric({ a: hx, b: hy, c: hz, e1: e, e2: e });
      }
      // Bevelled: each corner cut by a chamfer of width b.
      const b = rng.uniform(0.15, 0.4) * Math.min(hx, hy, hz);
      const points: number[] = [];
      for (const sx of [-1, 1]) {
        for (const sy of [-1, 1]) {
          for (const sz of [-1, 1]) {
            points.push(sx * hx, sy * (hy - b), sz * (hz - b));
            points.push(sx * (hx - b), sy * hy, sz * (hz - b));
            points.push(sx * (hx - b), sy * (hy - b), sz * hz);
          }
        }
      }
      const hull = convexHull(points);
      return { positions: [...hull.positions], indices: [...hull.indices], pieces: [[...hull.positions]] };
    }
    case 'can': {
      const r = rng.uniform(0.02, 0.045);
      return superquadric({ a: r, b: r, c: rng.uniform(0.025, 0.06), e1: rng.uniform(0.1, 0.2), e2: 1 });
    }
    case 'pillow':
      return superquadric({
        a: rng.uniform(0.03, 0.06),
        b: rng.uniform(0.025, 0.05),
        c: rng.uniform(0.012, 0.025),
        e1: rng.uniform(0.6, 1),
        e2: rng.uniform(0.3, 0.7),
      });
    case 'blob':
      return superquadric({
        a: rng.uniform(0.02, 0.045),
        b: rng.uniform(0.02, 0.045),
        c: rng.uniform(0.02, 0.045),
        e1: rng.uniform(0.6, 1.4),
        e2: rng.uniform(0.6, 1.4),
      });
    case 'pouch':
      return superquadric({
        a: rng.uniform(0.035, 0.06),
        b: rng.uniform(0.025, 0.05),
        c: rng.uniform(0.005, 0.012),
        e1: rng.uniform(1, 1.6),
        e2: rng.uniform(0.2, 0.45),
      });
    case 'bottle': {
      const R = rng.uniform(0.018, 0.035);
      const H = rng.uniform(0.08, 0.12);
      const neck = R * rng.uniform(0.35, 0.5);
      return solidLathe([
        [R * 0.9, 0],
        [R, 0.04 * H],
        [R, 0.6 * H],
        [R * 0.75, 0.72 * H],
        [neck, 0.82 * H],
        [neck, H],
      ]);
    }
    case 'jar': {
      const R = rng.uniform(0.025, 0.045);
      const H = rng.uniform(0.05, 0.09);
      return solidLathe([
        [R * 0.93, 0],
        [R, 0.05 * H],
        [R, 0.82 * H],
        [R * 0.9, 0.86 * H],
        [R * 0.94, 0.88 * H],
        [R * 0.94, H],
      ]);
    }
    case 'cup': {
      const r0 = rng.uniform(0.02, 0.03);
      const r1 = r0 * rng.uniform(1.1, 1.4);
      const H = rng.uniform(0.05, 0.1);
      const w = rng.uniform(0.002, 0.004);
      const tb = rng.uniform(0.003, 0.006);
      const slope = (r1 - r0) / H;
      return shellLathe(
        [
          [r0, 0],
          [r1, H],
        ],
        [
          [r0 + slope * tb - w, tb],
          [r1 - w, H],
        ],
      );
    }
    case 'bowl': {
      const R = rng.uniform(0.04, 0.06);
      const H = R * rng.uniform(0.45, 0.7);
      const w = rng.uniform(0.002, 0.004);
      const tb = rng.uniform(0.003, 0.005);
      // Outer wall: a quarter ellipse from the foot to the rim; inner wall: w inside it.
      const steps = 3;
      const foot = R * 0.45;
      const outer: ProfilePoint[] = [];
      const inner: ProfilePoint[] = [];
      for (let k = 0; k <= steps; k++) {
        const s = (k / steps) * (Math.PI / 2);
        const r = foot + (R - foot) * Math.sin(s);
        const z = H * (1 - Math.cos(s));
        outer.push([r, z]);
        inner.push([r - w, tb + (H - tb) * (1 - Math.cos(s))]);
      }
      return shellLathe(outer, inner);
    }
    case 'flat_part': {
      const R = rng.uniform(0.03, 0.06);
      const n = 5 + rng.int(5);
      return extrudeStar(starOutline(rng, n, 0.45 * R, R, rng.uniform(0.6, 1)), rng.uniform(0.005, 0.02));
    }
    case 'blister_pack': {
      const hx = rng.uniform(0.035, 0.06);
      const hy = rng.uniform(0.025, 0.045);
      const t = rng.uniform(0.0015, 0.003);
      const card = boxParts(hx, hy, t / 2);
      const domes: MeshParts[] = [];
      const count = 1 + rng.int(3);
      const rd = Math.min(hx / count, hy) * rng.uniform(0.5, 0.75);
      const hd = rng.uniform(0.008, 0.02);
      for (let k = 0; k < count; k++) {
        const x = -hx + (2 * hx * (k + 0.5)) / count;
        // A dome: a half superellipse of revolution standing on the card.
        const side: ProfilePoint[] = [];
        for (let s = 0; s <= 4; s++) {
          const a = (s / 5) * (Math.PI / 2);
          side.push([rd * Math.cos(a) ** 0.6, t / 2 + hd * Math.sin(a)]);
        }
        const dome = solidLathe(side);
        const move = (pts: number[]): number[] => pts.map((v, i) => (i % 3 === 0 ? v + x : v));
        domes.push({ positions: move(dome.positions), indices: dome.indices, pieces: dome.pieces.map(move) });
      }
      return joinParts([card, ...domes]);
    }
    case 'card':
      return boxParts(rng.uniform(0.03, 0.05), rng.uniform(0.02, 0.035), rng.uniform(0.0005, 0.0015));
    case 'convex_hull': {
      const [a, b, c] = [rng.uniform(0.02, 0.05), rng.uniform(0.02, 0.05), rng.uniform(0.015, 0.04)];
      const n = 8 + rng.int(17);
      const points: number[] = [];
      for (let i = 0; i < n; i++) {
        // Uniform direction, radius in the outer half of the ellipsoid: few points end up inside.
        const z = rng.uniform(-1, 1);
        const w = rng.uniform(0, 2 * Math.PI);
        const s = Math.sqrt(1 - z * z) * rng.uniform(0.6, 1);
        points.push(a * s * Math.cos(w), b * s * Math.sin(w), c * z * rng.uniform(0.6, 1));
      }
      const hull = convexHull(points);
      return { positions: [...hull.positions], indices: [...hull.indices], pieces: [[...hull.positions]] };
    }
  }
}

/** A mesh shape from parts (throws MeshError when they do not form a closed solid). */
export function meshShapeFrom(family: MeshFamily, parts: MeshParts): MeshShape {
  return {
    kind: 'mesh',
    family,
    mesh: createTriangleMesh({ positions: parts.positions, indices: parts.indices, pieces: parts.pieces }),
  };
}

/**
 * A random shape of `family`. The five analytic families draw exactly as scene.ts's randomShape
 * (same rng consumption), so default scenes are unchanged.
 */
export function randomFamilyShape(rng: Rng, family: ObjectFamily): Shape {
  if ((SHAPE_KINDS as readonly string[]).includes(family)) return randomShape(rng, family as ShapeKind);
  return meshShapeFrom(family as MeshFamily, randomMeshParts(rng, family as Exclude<MeshFamily, 'custom'>));
}
