// Object shapes, their decomposition into primitives, the object families and the semantic class
// list. The same primitives feed the physics colliders, the ray caster and the seal model, so what
// is rendered is exactly what collides and what the suction cup touches (for triangle meshes:
// exactly, when their convex pieces are exact; see docs/simulator.md).
import { meshBvhAt, meshSlot } from './bvh';
import { type Vec3, vec3 } from './math';
import { type TriangleMesh } from './mesh-geometry';

/** The analytic shapes; lengths in metres. Cylinder and capsule axes are the object's local z. */
export type PrimitiveShape =
  | { kind: 'box'; size: [number, number, number] }
  | { kind: 'cylinder'; radius: number; length: number }
  | { kind: 'sphere'; radius: number }
  /** `length` is tip to tip, including both hemispherical caps. */
  | { kind: 'capsule'; radius: number; length: number }
  /**
   * Non-convex L: a bar `length` long along x and a leg `legLength` long along y sharing one
   * corner, both `width` wide and `thickness` thick (along z).
   */
  | { kind: 'l_block'; length: number; legLength: number; width: number; thickness: number };

/**
 * Object families: the five analytic ones first (their order and class ids are those of the
 * shipped datasets and models), then the procedural mesh families.
 */
export const OBJECT_FAMILIES = [
  'box',
  'cylinder',
  'sphere',
  'capsule',
  'l_block',
  'rounded_box',
  'can',
  'pillow',
  'blob',
  'bottle',
  'jar',
  'cup',
  'bowl',
  'flat_part',
  'blister_pack',
  'card',
  'pouch',
  'convex_hull',
] as const;
export type ObjectFamily = (typeof OBJECT_FAMILIES)[number];
/** Families built as triangle meshes, and `custom` for imported mesh files. */
export type MeshFamily = Exclude<ObjectFamily, PrimitiveShape['kind']> | 'custom';

/** A closed triangle mesh (procedural family or imported file), body frame at its centre of mass. */
export interface MeshShape {
  kind: 'mesh';
  family: MeshFamily;
  mesh: TriangleMesh;
  /** Mass set by an imported file's options, kg (otherwise the scene draws one from the volume). */
  mass?: number;
}

export type Shape = PrimitiveShape | MeshShape;

/** The analytic kinds (what `randomShape` and scenario files draw from). */
export type ShapeKind = PrimitiveShape['kind'];
export const SHAPE_KINDS: readonly ShapeKind[] = ['box', 'cylinder', 'sphere', 'capsule', 'l_block'];

/**
 * Semantic classes. Ids 0–6 are those of the shipped datasets and segmenters (which keep reading
 * their own manifest's list); the rest are appended. `container` is the bin or tote (walls and
 * floor); `support` the table or floor objects lie on when there is no bin (in a bin
 * scene the table stays background, as before); `distractor` anything in view not to be picked.
 */
export const SEMANTIC_CLASSES = [
  { id: 0, name: 'background' },
  { id: 1, name: 'container' },
  { id: 2, name: 'box' },
  { id: 3, name: 'cylinder' },
  { id: 4, name: 'sphere' },
  { id: 5, name: 'capsule' },
  { id: 6, name: 'l_block' },
  { id: 7, name: 'support' },
  { id: 8, name: 'distractor' },
  { id: 9, name: 'rounded_box' },
  { id: 10, name: 'can' },
  { id: 11, name: 'pillow' },
  { id: 12, name: 'blob' },
  { id: 13, name: 'bottle' },
  { id: 14, name: 'jar' },
  { id: 15, name: 'cup' },
  { id: 16, name: 'bowl' },
  { id: 17, name: 'flat_part' },
  { id: 18, name: 'blister_pack' },
  { id: 19, name: 'card' },
  { id: 20, name: 'pouch' },
  { id: 21, name: 'convex_hull' },
  { id: 22, name: 'custom' },
] as const;

export type SemanticClassName = (typeof SEMANTIC_CLASSES)[number]['name'];
export const BACKGROUND_CLASS = 0;
export const BIN_CLASS = 1;
export const SUPPORT_CLASS = 7;
export const DISTRACTOR_CLASS = 8;

/** Whether a class id names objects to pick (a family or `custom`), not scenery. */
export function isObjectClass(id: number): boolean {
  return id !== BACKGROUND_CLASS && id !== BIN_CLASS && id !== SUPPORT_CLASS && id !== DISTRACTOR_CLASS;
}

/** Class id of a family name (or `custom`). */
export function classIdOf(name: ObjectFamily | 'custom'): number {
  const found = SEMANTIC_CLASSES.find((c) => c.name === name);
  if (!found) throw new Error(`no semantic class for shape '${name}'`);
  return found.id;
}

/** Class id of an object's shape: its family's. */
export function classIdOfShape(shape: Shape): number {
  return classIdOf(shape.kind === 'mesh' ? shape.family : shape.kind);
}

/** Analytic primitive kinds understood by the ray caster (numbers: they live in typed arrays). */
export const PrimitiveKind = { Box: 0, Cylinder: 1, Sphere: 2, Capsule: 3, Mesh: 4 } as const;
export type PrimitiveKind = (typeof PrimitiveKind)[keyof typeof PrimitiveKind];

/**
 * One primitive of an object, in the object's body frame (origin at the centre of mass, axes
 * aligned with the primitive's: no part is rotated relative to its body).
 * Params: box (half x, half y, half z); cylinder (radius, half length, 0); sphere (radius, 0, 0);
 * capsule (radius, half length of the inner segment, 0); mesh (slot of its hierarchy, see bvh.ts, 0, 0),
 * centred on the mesh's bounding box.
 */
export interface ShapePart {
  kind: PrimitiveKind;
  params: [number, number, number];
  offset: Vec3;
  volume: number;
}

function partsAroundOrigin(shape: PrimitiveShape): ShapePart[] {
  switch (shape.kind) {
    case 'box': {
      const [x, y, z] = shape.size;
      return [
        { kind: PrimitiveKind.Box, params: [x / 2, y / 2, z / 2], offset: vec3(0, 0, 0), volume: x * y * z },
      ];
    }
    case 'cylinder': {
      const { radius: r, length } = shape;
      const volume = Math.PI * r * r * length;
      return [{ kind: PrimitiveKind.Cylinder, params: [r, length / 2, 0], offset: vec3(0, 0, 0), volume }];
    }
    case 'sphere': {
      const r = shape.radius;
      const volume = (4 / 3) * Math.PI * r ** 3;
      return [{ kind: PrimitiveKind.Sphere, params: [r, 0, 0], offset: vec3(0, 0, 0), volume }];
    }
    case 'capsule': {
      const r = shape.radius;
      const segment = Math.max(0, shape.length - 2 * r);
      const volume = Math.PI * r * r * segment + (4 / 3) * Math.PI * r ** 3;
      return [{ kind: PrimitiveKind.Capsule, params: [r, segment / 2, 0], offset: vec3(0, 0, 0), volume }];
    }
    case 'l_block': {
      const { length, legLength, width, thickness } = shape;
      // Bar along +x from the shared corner, leg along +y starting where the bar ends (no overlap,
      // so the volumes add up and the centre of mass is exact).
      const legRest = legLength - width;
      return [
        {
          kind: PrimitiveKind.Box,
          params: [length / 2, width / 2, thickness / 2],
          offset: vec3(length / 2, width / 2, 0),
          volume: length * width * thickness,
        },
        {
          kind: PrimitiveKind.Box,
          params: [width / 2, legRest / 2, thickness / 2],
          offset: vec3(width / 2, width + legRest / 2, 0),
          volume: width * legRest * thickness,
        },
      ];
    }
  }
}

/** The shape's primitives with the body origin at the centre of mass (uniform density). */
export function shapeParts(shape: Shape): ShapePart[] {
  if (shape.kind === 'mesh') {
    // Already at its centre of mass; the part sits at the centre of its bounding box.
    const { mesh } = shape;
    const slot = meshSlot(mesh, mesh.positions, mesh.indices);
    const [x, y, z] = meshBvhAt(slot).centre;
    return [{ kind: PrimitiveKind.Mesh, params: [slot, 0, 0], offset: vec3(x, y, z), volume: mesh.volume }];
  }
  const parts = partsAroundOrigin(shape);
  const volume = parts.reduce((sum, p) => sum + p.volume, 0);
  const com = parts.reduce(
    (acc, p) =>
      vec3(acc.x + p.offset.x * p.volume, acc.y + p.offset.y * p.volume, acc.z + p.offset.z * p.volume),
    vec3(0, 0, 0),
  );
  return parts.map((p) => ({
    ...p,
    offset: vec3(p.offset.x - com.x / volume, p.offset.y - com.y / volume, p.offset.z - com.z / volume),
  }));
}

export function shapeVolume(shape: Shape): number {
  if (shape.kind === 'mesh') return shape.mesh.volume;
  return partsAroundOrigin(shape).reduce((sum, p) => sum + p.volume, 0);
}

/** Radius of a sphere around a primitive's centre that contains it. */
export function primitiveRadius(kind: PrimitiveKind, params: readonly number[]): number {
  switch (kind) {
    case PrimitiveKind.Box:
      return Math.hypot(params[0], params[1], params[2]);
    case PrimitiveKind.Cylinder:
      return Math.hypot(params[0], params[1]);
    case PrimitiveKind.Sphere:
      return params[0];
    case PrimitiveKind.Capsule:
      return params[0] + params[1];
    default:
      return Math.hypot(...meshBvhAt(params[0]).half);
  }
}

/** Half extents of the primitive's own bounding box, in its frame. */
export function primitiveHalfExtents(kind: PrimitiveKind, p: readonly number[]): [number, number, number] {
  switch (kind) {
    case PrimitiveKind.Box:
      return [p[0], p[1], p[2]];
    case PrimitiveKind.Cylinder:
      return [p[0], p[0], p[1]];
    case PrimitiveKind.Sphere:
      return [p[0], p[0], p[0]];
    case PrimitiveKind.Capsule:
      return [p[0], p[0], p[1] + p[0]];
    default:
      return [...meshBvhAt(p[0]).half];
  }
}
