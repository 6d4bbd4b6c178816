// Exact ray casting against the scene's primitives (boxes, cylinders, spheres, capsules, and
// triangle meshes through their BVH: bvh.ts) plus the table plane. Primitives are packed into one Float64Array with their world transforms
// precomputed, so the inner loops touch only typed arrays.
import { meshBvhAt } from './bvh';
import { quatToMat3, rotate, type Vec3 } from './math';
import { type TriangleMesh } from './mesh-geometry';
import { type Appearance, binBoxes, type Scene, type SceneObject, TEXTURE_PATTERNS } from './scene';
import {
  BACKGROUND_CLASS,
  BIN_CLASS,
  classIdOfShape,
  DISTRACTOR_CLASS,
  PrimitiveKind,
  primitiveHalfExtents,
  primitiveRadius,
  shapeParts,
  SUPPORT_CLASS,
} from './shapes';

/** buildPrimitives puts the bin floor first. */
export const FLOOR_PRIMITIVE = 0;

/** Hit codes stored where a primitive index would be. */
export const HIT_NONE = -1;
export const HIT_TABLE = -2;

// Field offsets inside one packed primitive record.
export const F_KIND = 0;
export const F_ID = 1; // object id, 0 for the bin and distractors
export const F_CLASS = 2;
export const F_OBJECT = 3; // object index in scene.objects, −1 for the bin and distractors
export const F_PARAMS = 4; // 3 shape parameters (see ShapePart)
export const F_ROT = 7; // 9: world-from-local rotation, row-major
export const F_POS = 16; // 3: world position of the primitive's centre
export const F_RADIUS = 19; // bounding-sphere radius
export const F_MATERIAL = 20;
export const F_OFFSET = 21; // 3: primitive centre in its body frame (for body-fixed textures)
export const F_EXTENT = 24; // 3: local half extents of a box that contains the primitive
export const PRIMITIVE_STRIDE = 28;

// Materials: pattern, scale, colour, secondary colour.
export const MATERIAL_STRIDE = 8;
export const MATERIAL_TABLE = 0;
export const MATERIAL_BIN = 1;

export interface PrimitiveSet {
  data: Float64Array;
  count: number;
  /** Object ids in scene order; object index i owns primitives objectFirst[i] … objectFirst[i+1]−1. */
  objectIds: Int32Array;
  objectFirst: Int32Array;
  materials: Float64Array;
  /** Height of the table top (world z). */
  tableZ: number;
  /** Semantic class of table pixels: background under a bin, support when objects lie on it. */
  tableClass: number;
  /** Keeps the scene's meshes (and so their BVH slots) alive as long as the set. */
  meshes: TriangleMesh[];
}

/**
 * Distractors (gripper parts, cables, other totes) are in view and collide but are not objects
 * to pick: class `distractor`, no instance, no label, no suction score.
 */
export function isDistractor(obj: SceneObject): boolean {
  return obj.distractor === true;
}

/** Whether the scene's objects lie on a table (no bin): the slab and table pixels are then `support`. */
function tableIsSupport(scene: Scene): boolean {
  return scene.support === true;
}

function packMaterial(out: Float64Array, index: number, a: Appearance): void {
  const o = index * MATERIAL_STRIDE;
  out[o] = TEXTURE_PATTERNS.indexOf(a.pattern);
  out[o + 1] = a.scale;
  out.set(a.color, o + 2);
  out.set(a.secondaryColor, o + 5);
}

/** Packs the scene's bin and objects into primitives with world transforms. Pure. */
export function buildPrimitives(scene: Scene): PrimitiveSet {
  type Raw = {
    kind: PrimitiveKind;
    id: number;
    cls: number;
    object: number;
    params: [number, number, number];
    rotation: readonly number[];
    position: Vec3;
    material: number;
    offset: Vec3;
  };
  const identity = [1, 0, 0, 0, 1, 0, 0, 0, 1];
  const support = tableIsSupport(scene);
  const raws: Raw[] = binBoxes(scene.bin).map((box) => ({
    kind: PrimitiveKind.Box,
    id: 0,
    // A table-top scene stands a flush slab in for the bin: the surface objects lie on.
    cls: support ? SUPPORT_CLASS : BIN_CLASS,
    object: -1,
    params: box.half,
    rotation: identity,
    position: box.center,
    material: MATERIAL_BIN,
    offset: box.center,
  }));
  const objectIds = new Int32Array(scene.objects.length);
  const objectFirst = new Int32Array(scene.objects.length + 1);
  const meshes: TriangleMesh[] = [];
  scene.objects.forEach((obj, i) => {
    const distractor = isDistractor(obj);
    objectIds[i] = distractor ? 0 : obj.id;
    objectFirst[i] = raws.length;
    const rotation = quatToMat3(obj.pose.orientation);
    const cls = distractor ? DISTRACTOR_CLASS : classIdOfShape(obj.shape);
    if (obj.shape.kind === 'mesh') meshes.push(obj.shape.mesh);
    for (const part of shapeParts(obj.shape)) {
      const r = rotate(rotation, part.offset);
      const p = obj.pose.position;
      raws.push({
        kind: part.kind,
        id: distractor ? 0 : obj.id,
        cls,
        object: distractor ? -1 : i,
        params: part.params,
        rotation,
        position: { x: p.x + r.x, y: p.y + r.y, z: p.z + r.z },
        material: 2 + i,
        offset: part.offset,
      });
    }
  });
  objectFirst[scene.objects.length] = raws.length;

  const data = new Float64Array(raws.length * PRIMITIVE_STRIDE);
  raws.forEach((r, i) => {
    const o = i * PRIMITIVE_STRIDE;
    data[o + F_KIND] = r.kind;
    data[o + F_ID] = r.id;
    data[o + F_CLASS] = r.cls;
    data[o + F_OBJECT] = r.object;
    data.set(r.params, o + F_PARAMS);
    data.set(r.rotation, o + F_ROT);
    data[o + F_POS] = r.position.x;
    data[o + F_POS + 1] = r.position.y;
    data[o + F_POS + 2] = r.position.z;
    data[o + F_RADIUS] = primitiveRadius(r.kind, r.params);
    data[o + F_MATERIAL] = r.material;
    data[o + F_OFFSET] = r.offset.x;
    data[o + F_OFFSET + 1] = r.offset.y;
    data[o + F_OFFSET + 2] = r.offset.z;
    data.set(primitiveHalfExtents(r.kind, r.params), o + F_EXTENT);
  });
  const materials = new Float64Array((2 + scene.objects.length) * MATERIAL_STRIDE);
  packMaterial(materials, MATERIAL_TABLE, scene.tableAppearance);
  packMaterial(materials, MATERIAL_BIN, scene.binAppearance);
  scene.objects.forEach((obj, i) => packMaterial(materials, 2 + i, obj.appearance));
  return {
    data,
    count: raws.length,
    objectIds,
    objectFirst,
    materials,
    tableZ: -scene.bin.floorThickness,
    tableClass: support ? SUPPORT_CLASS : BACKGROUND_CLASS,
    meshes,
  };
}

// ---- intersection in the primitive's local frame -------------------------------------------------
// Each returns the ray parameter t of the first entry into the solid, 0 if the origin is inside,
// or Infinity for a miss. Directions need not be unit length. `tMax` (meshes only) is a pruning
// hint: a mesh surface beyond it may be reported as a miss.

function intersectSphereAt(
  r: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
) {
  const a = dx * dx + dy * dy + dz * dz;
  const b = ox * dx + oy * dy + oz * dz;
  const c = ox * ox + oy * oy + oz * oz - r * r;
  const disc = b * b - a * c;
  if (disc < 0) return Infinity;
  const s = Math.sqrt(disc);
  if (-b + s < 0) return Infinity;
  const t0 = (-b - s) / a;
  return t0 > 0 ? t0 : 0;
}

/** Finite cylinder |z| ≤ h, x² + y² ≤ r². */
function intersectCylinderAt(
  r: number,
  h: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
) {
  let tn = -Infinity;
  let tf = Infinity;
  if (dz !== 0) {
    const inv = 1 / dz;
    const t1 = (-h - oz) * inv;
    const t2 = (h - oz) * inv;
    tn = t1 < t2 ? t1 : t2;
    tf = t1 < t2 ? t2 : t1;
  } else if (oz < -h || oz > h) {
    return Infinity;
  }
  const a = dx * dx + dy * dy;
  const c = ox * ox + oy * oy - r * r;
  if (a < 1e-300) {
    if (c > 0) return Infinity;
  } else {
    const b = ox * dx + oy * dy;
    const disc = b * b - a * c;
    if (disc < 0) return Infinity;
    const s = Math.sqrt(disc);
    const t0 = (-b - s) / a;
    const t1 = (-b + s) / a;
    if (t0 > tn) tn = t0;
    if (t1 < tf) tf = t1;
  }
  if (tn > tf || tf < 0) return Infinity;
  return tn > 0 ? tn : 0;
}

function intersectBox(
  hx: number,
  hy: number,
  hz: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
) {
  let tn = -Infinity;
  let tf = Infinity;
  if (dx !== 0) {
    const inv = 1 / dx;
    const t1 = (-hx - ox) * inv;
    const t2 = (hx - ox) * inv;
    if (t1 < t2) {
      tn = t1;
      tf = t2;
    } else {
      tn = t2;
      tf = t1;
    }
  } else if (ox < -hx || ox > hx) {
    return Infinity;
  }
  if (dy !== 0) {
    const inv = 1 / dy;
    const t1 = (-hy - oy) * inv;
    const t2 = (hy - oy) * inv;
    const lo = t1 < t2 ? t1 : t2;
    const hi = t1 < t2 ? t2 : t1;
    if (lo > tn) tn = lo;
    if (hi < tf) tf = hi;
  } else if (oy < -hy || oy > hy) {
    return Infinity;
  }
  if (dz !== 0) {
    const inv = 1 / dz;
    const t1 = (-hz - oz) * inv;
    const t2 = (hz - oz) * inv;
    const lo = t1 < t2 ? t1 : t2;
    const hi = t1 < t2 ? t2 : t1;
    if (lo > tn) tn = lo;
    if (hi < tf) tf = hi;
  } else if (oz < -hz || oz > hz) {
    return Infinity;
  }
  if (tn > tf || tf < 0) return Infinity;
  return tn > 0 ? tn : 0;
}

export function intersectLocal(
  kind: number,
  p0: number,
  p1: number,
  p2: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
  tMax = Infinity,
): number {
  switch (kind) {
    case PrimitiveKind.Box:
      return intersectBox(p0, p1, p2, ox, oy, oz, dx, dy, dz);
    case PrimitiveKind.Sphere:
      return intersectSphereAt(p0, ox, oy, oz, dx, dy, dz);
    case PrimitiveKind.Cylinder:
      return intersectCylinderAt(p0, p1, ox, oy, oz, dx, dy, dz);
    case PrimitiveKind.Mesh:
      return meshBvhAt(p0).intersect(ox, oy, oz, dx, dy, dz, tMax);
    default: {
      // Capsule = finite cylinder ∪ two end spheres; the union's entry is the earliest entry.
      const side = intersectCylinderAt(p0, p1, ox, oy, oz, dx, dy, dz);
      const top = intersectSphereAt(p0, ox, oy, oz - p1, dx, dy, dz);
      const bottom = intersectSphereAt(p0, ox, oy, oz + p1, dx, dy, dz);
      return Math.min(side, top, bottom);
    }
  }
}

/** Outward unit normal at a local surface point, written to out[0..2]. */
export function localNormal(
  kind: number,
  p0: number,
  p1: number,
  p2: number,
  x: number,
  y: number,
  z: number,
  out: Float64Array,
): void {
  let nx = 0;
  let ny = 0;
  let nz = 0;
  switch (kind) {
    case PrimitiveKind.Box: {
      // The face whose plane the point is closest to.
      const ex = p0 - Math.abs(x);
      const ey = p1 - Math.abs(y);
      const ez = p2 - Math.abs(z);
      if (ex <= ey && ex <= ez) nx = x < 0 ? -1 : 1;
      else if (ey <= ez) ny = y < 0 ? -1 : 1;
      else nz = z < 0 ? -1 : 1;
      break;
    }
    case PrimitiveKind.Sphere:
      nx = x;
      ny = y;
      nz = z;
      break;
    case PrimitiveKind.Mesh:
      meshBvhAt(p0).normalAt(x, y, z, out);
      return;
    case PrimitiveKind.Cylinder: {
      const rho = Math.sqrt(x * x + y * y);
      if (p1 - Math.abs(z) < p0 - rho) nz = z < 0 ? -1 : 1;
      else {
        nx = x;
        ny = y;
      }
      break;
    }
    default: {
      const zc = z > p1 ? p1 : z < -p1 ? -p1 : z;
      nx = x;
      ny = y;
      nz = z - zc;
    }
  }
  const n = Math.sqrt(nx * nx + ny * ny + nz * nz) || 1;
  out[0] = nx / n;
  out[1] = ny / n;
  out[2] = nz / n;
}

/** Entry distance of the world ray o + t·d into primitive i (0 inside, Infinity on a miss). */
export function intersectWorld(
  d: Float64Array,
  i: number,
  ox: number,
  oy: number,
  oz: number,
  dx: number,
  dy: number,
  dz: number,
): number {
  const o = i * PRIMITIVE_STRIDE;
  const px = ox - d[o + F_POS];
  const py = oy - d[o + F_POS + 1];
  const pz = oz - d[o + F_POS + 2];
  // local = Rᵀ · world
  const r = o + F_ROT;
  return intersectLocal(
    d[o + F_KIND],
    d[o + F_PARAMS],
    d[o + F_PARAMS + 1],
    d[o + F_PARAMS + 2],
    d[r] * px + d[r + 3] * py + d[r + 6] * pz,
    d[r + 1] * px + d[r + 4] * py + d[r + 7] * pz,
    d[r + 2] * px + d[r + 5] * py + d[r + 8] * pz,
    d[r] * dx + d[r + 3] * dy + d[r + 6] * dz,
    d[r + 1] * dx + d[r + 4] * dy + d[r + 7] * dz,
    d[r + 2] * dx + d[r + 5] * dy + d[r + 8] * dz,
  );
}

/**
 * First hit along a world ray among `candidates` (all primitives when null) and the table plane.
 * Returns the hit code (primitive index, HIT_TABLE or HIT_NONE) and leaves the distance in `last.t`.
 */
export class RayCaster {
  readonly last = { t: Infinity };

  constructor(readonly set: PrimitiveSet) {}

  cast(
    ox: number,
    oy: number,
    oz: number,
    dx: number,
    dy: number,
    dz: number,
    tMax: number,
    candidates: Int32Array | null,
    candidateCount: number,
  ): number {
    const d = this.set.data;
    let best = tMax;
    let bestHit = HIT_NONE;
    const n = candidates ? candidateCount : this.set.count;
    for (let k = 0; k < n; k++) {
      const i = candidates ? candidates[k] : k;
      const t = intersectWorld(d, i, ox, oy, oz, dx, dy, dz);
      if (t < best) {
        best = t;
        bestHit = i;
      }
    }
    if (dz < 0) {
      const t = (this.set.tableZ - oz) / dz;
      if (t >= 0 && t < best) {
        best = t;
        bestHit = HIT_TABLE;
      }
    }
    this.last.t = bestHit === HIT_NONE ? Infinity : best;
    return bestHit;
  }
}

/** Whether primitive i's bounding sphere comes within `margin` of the segment a … a + dir·length (dir unit). */
export function primitiveNearSegment(
  d: Float64Array,
  i: number,
  ax: number,
  ay: number,
  az: number,
  dx: number,
  dy: number,
  dz: number,
  length: number,
  margin: number,
): boolean {
  const o = i * PRIMITIVE_STRIDE;
  const cx = d[o + F_POS] - ax;
  const cy = d[o + F_POS + 1] - ay;
  const cz = d[o + F_POS + 2] - az;
  let s = cx * dx + cy * dy + cz * dz;
  s = s < 0 ? 0 : s > length ? length : s;
  const ex = cx - s * dx;
  const ey = cy - s * dy;
  const ez = cz - s * dz;
  const reach = d[o + F_RADIUS] + margin;
  return ex * ex + ey * ey + ez * ez <= reach * reach;
}

/**
 * Indices of primitives whose bounding sphere comes within `margin` of the segment from a to
 * a + dir·length (dir unit), written to `out`; returns how many.
 */
export function primitivesNearSegment(
  set: PrimitiveSet,
  ax: number,
  ay: number,
  az: number,
  dx: number,
  dy: number,
  dz: number,
  length: number,
  margin: number,
  out: Int32Array,
): number {
  let n = 0;
  for (let i = 0; i < set.count; i++) {
    if (primitiveNearSegment(set.data, i, ax, ay, az, dx, dy, dz, length, margin)) out[n++] = i;
  }
  return n;
}
