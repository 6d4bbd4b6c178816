// Plain-data description of a bin-picking scene and the seeded random-clutter generator.
// World frame: origin at the centre of the bin's inner floor surface, z up, metres.
import {
  IDENTITY_QUAT,
  normalize,
  type Pose,
  type Quat,
  quatToMat3,
  randomQuat,
  rotate,
  type Vec3,
  vec3,
} from './math';
import { type MaterialMode } from './materials';
import { deriveSeed, Rng } from './random';
import { type PrintedTexture } from './texture';
import {
  primitiveHalfExtents,
  type Shape,
  type ShapeKind,
  SHAPE_KINDS,
  shapeParts,
  shapeVolume,
} from './shapes';

export type Rgb = [number, number, number];
export type TexturePattern = 'solid' | 'stripes' | 'checker' | 'dots' | 'noise';
export const TEXTURE_PATTERNS: readonly TexturePattern[] = ['solid', 'stripes', 'checker', 'dots', 'noise'];

/** Surface look; colours linear 0–1, `scale` is the pattern period in metres (solid texture). */
export interface Appearance {
  color: Rgb;
  secondaryColor: Rgb;
  pattern: TexturePattern;
  scale: number;
  /** Absent: 'matte'. */
  material?: MaterialMode;
  /** Printed label, text or photo over the base pattern; absent: none. */
  print?: PrintedTexture;
}

/** One directional light plus ambient; `direction` points from the scene towards the light. */
export interface Lighting {
  direction: Vec3;
  intensity: number;
  ambient: number;
  color: Rgb;
}

/**
 * Hand-hold slots: a rectangular hole through each of the two short walls (the walls at the ends of
 * the long side; the ±x walls of a square bin), centred along the wall, its top `belowRim` under the rim.
 */
export interface BinHandles {
  /** Along the wall, metres. */
  width: number;
  height: number;
  belowRim: number;
}

/** The bin: an open box standing on the table; walls are `wallThickness` thick outside the inner rectangle. */
export interface BinSpec {
  /** Inner extents along x and y (inside the walls), metres; equal for a square bin. */
  innerSize: readonly [number, number];
  wallHeight: number;
  wallThickness: number;
  floorThickness: number;
  /** Absent: solid walls. */
  handles?: BinHandles;
}

export const DEFAULT_BIN: Readonly<BinSpec> = Object.freeze({
  innerSize: Object.freeze([0.448, 0.448] as const), // VPG's workspace
  wallHeight: 0.1,
  wallThickness: 0.012,
  floorThickness: 0.01,
});

/** A typical tote's hand-hold slot (12 × 3.5 cm, 2.5 cm under the rim). */
export const DEFAULT_HANDLES: Readonly<BinHandles> = Object.freeze({
  width: 0.12,
  height: 0.035,
  belowRim: 0.025,
});

/** Half inner extents [x, y] of the bin. */
export function binHalf(bin: Pick<BinSpec, 'innerSize'>): [number, number] {
  return [bin.innerSize[0] / 2, bin.innerSize[1] / 2];
}

/** Which walls carry the handles: the short ones, at ±x unless the bin is longer along y. */
export function handleAxis(bin: Pick<BinSpec, 'innerSize'>): 'x' | 'y' {
  return bin.innerSize[1] > bin.innerSize[0] ? 'y' : 'x';
}

/**
 * Why `handles` do not fit `bin` — the slot not narrower than the short wall's inside by 2 cm
 * (`width`), or not ending 1 cm above the floor (`height`) — or null when they fit.
 */
export function handlesProblem(
  bin: Omit<BinSpec, 'handles'>,
  handles: BinHandles,
): { field: 'width' | 'height'; reason: string } | null {
  const wallLength = handleAxis(bin) === 'x' ? bin.innerSize[1] : bin.innerSize[0];
  if (handles.width > wallLength - 0.02)
    return {
      field: 'width',
      reason: `slot ${handles.width} m wide does not fit the short wall (${wallLength} m inside; at most ${+(wallLength - 0.02).toFixed(6)} m)`,
    };
  if (handles.belowRim + handles.height > bin.wallHeight - 0.01)
    return {
      field: 'height',
      reason: `slot ${handles.height} m high, ${handles.belowRim} m under the rim, does not fit a ${bin.wallHeight} m wall (it must end 0.01 m above the floor)`,
    };
  return null;
}

export interface SceneObject {
  /** Instance id, ≥ 1 and unique in the scene; 0 means "no object" in label images. */
  id: number;
  shape: Shape;
  /** World-from-body; the body origin is the centre of mass. */
  pose: Pose;
  mass: number;
  friction: number;
  appearance: Appearance;
  /** Not an object to pick (gripper part, cable, other tote): class 'distractor', no instance, no suction GT. */
  distractor?: boolean;
}

export interface Scene {
  seed: number;
  bin: BinSpec;
  objects: SceneObject[];
  lighting: Lighting;
  binAppearance: Appearance;
  tableAppearance: Appearance;
  /** True for table-top scenes (no bin): the flush slab standing in for the bin is labelled 'support'. */
  support?: boolean;
}

export const DEFAULT_LIGHTING: Readonly<Lighting> = Object.freeze({
  direction: normalize(vec3(0.3, 0.2, 1)),
  intensity: 0.75,
  ambient: 0.3,
  color: [1, 1, 1] as Rgb,
});

export const DEFAULT_BIN_APPEARANCE: Readonly<Appearance> = Object.freeze({
  color: [0.32, 0.4, 0.5] as Rgb,
  secondaryColor: [0.28, 0.36, 0.45] as Rgb,
  pattern: 'noise' as TexturePattern,
  scale: 0.02,
});

export const DEFAULT_TABLE_APPEARANCE: Readonly<Appearance> = Object.freeze({
  color: [0.62, 0.5, 0.36] as Rgb,
  secondaryColor: [0.5, 0.38, 0.26] as Rgb,
  pattern: 'stripes' as TexturePattern,
  scale: 0.015,
});

export const MIN_OBJECT_SIZE = 0.03;
export const MAX_OBJECT_SIZE = 0.12;
export const MAX_OBJECTS = 40;

export interface ClutterOptions {
  /** Number of objects, 1–40. */
  count: number;
  seed: number;
  bin?: Partial<BinSpec>;
  /** Shape families to draw from (default: all). */
  kinds?: readonly ShapeKind[];
  /** Draws each object's shape instead of `kinds` (cells: weighted families, meshes). */
  drawShape?: (rng: Rng, index: number) => Shape;
  /** Half extents [x, y] of the rectangle objects are dropped over (default: the bin's inner half size). */
  dropHalf?: readonly [number, number];
}

/** HSV (all 0–1) → RGB. */
export function hsvToRgb(h: number, s: number, v: number): Rgb {
  const f = (n: number): number => {
    const k = (n + h * 6) % 6;
    return v - v * s * Math.max(0, Math.min(k, 4 - k, 1));
  };
  return [f(5), f(3), f(1)];
}

export function randomAppearance(rng: Rng): Appearance {
  const hue = rng.next();
  const color = hsvToRgb(hue, rng.uniform(0.35, 0.9), rng.uniform(0.45, 0.95));
  // Second colour: same hue family, shifted brightness, so patterns stay readable but object-like.
  const secondaryColor = hsvToRgb(
    (hue + rng.uniform(-0.08, 0.08) + 1) % 1,
    rng.uniform(0.2, 0.9),
    rng.uniform(0.2, 0.7),
  );
  const pattern = rng.pick(TEXTURE_PATTERNS);
  return { color, secondaryColor, pattern, scale: rng.uniform(0.008, 0.03) };
}

export function randomLighting(rng: Rng): Lighting {
  // Key light within ~40° of overhead, as from ceiling lamps over a work cell.
  const tilt = rng.uniform(0, 0.7);
  const azimuth = rng.uniform(0, 2 * Math.PI);
  const warmth = rng.uniform(-0.08, 0.08);
  return {
    direction: vec3(Math.sin(tilt) * Math.cos(azimuth), Math.sin(tilt) * Math.sin(azimuth), Math.cos(tilt)),
    intensity: rng.uniform(0.55, 0.9),
    ambient: rng.uniform(0.2, 0.4),
    color: [1 + warmth, 1, 1 - warmth],
  };
}

export function randomShape(rng: Rng, kind: ShapeKind): Shape {
  const lo = MIN_OBJECT_SIZE;
  const hi = MAX_OBJECT_SIZE;
  switch (kind) {
    case 'box':
      return { kind, size: [rng.uniform(lo, hi), rng.uniform(lo, hi), rng.uniform(lo, hi)] };
    case 'cylinder':
      return { kind, radius: rng.uniform(lo / 2, 0.05), length: rng.uniform(lo, hi) };
    case 'sphere':
      return { kind, radius: rng.uniform(lo / 2, 0.05) };
    case 'capsule': {
      const radius = rng.uniform(lo / 2, 0.03);
      return { kind, radius, length: rng.uniform(Math.max(2 * radius + 0.01, 0.05), hi) };
    }
    case 'l_block': {
      const width = rng.uniform(lo, 0.045);
      return {
        kind,
        width,
        thickness: rng.uniform(lo, 0.05),
        length: rng.uniform(width + lo, hi),
        legLength: rng.uniform(width + lo, hi),
      };
    }
  }
}

/** Half extents of the world-axis box around a shape at `orientation` (centre of mass at origin). */
export function rotatedHalfExtents(shape: Shape, orientation: Quat): { half: Vec3; centre: Vec3 } {
  const m = quatToMat3(orientation);
  let lo = vec3(Infinity, Infinity, Infinity);
  let hi = vec3(-Infinity, -Infinity, -Infinity);
  for (const part of shapeParts(shape)) {
    const c = rotate(m, part.offset);
    const e = primitiveHalfExtents(part.kind, part.params);
    const h = vec3(
      Math.abs(m[0]) * e[0] + Math.abs(m[1]) * e[1] + Math.abs(m[2]) * e[2],
      Math.abs(m[3]) * e[0] + Math.abs(m[4]) * e[1] + Math.abs(m[5]) * e[2],
      Math.abs(m[6]) * e[0] + Math.abs(m[7]) * e[1] + Math.abs(m[8]) * e[2],
    );
    lo = vec3(Math.min(lo.x, c.x - h.x), Math.min(lo.y, c.y - h.y), Math.min(lo.z, c.z - h.z));
    hi = vec3(Math.max(hi.x, c.x + h.x), Math.max(hi.y, c.y + h.y), Math.max(hi.z, c.z + h.z));
  }
  return {
    half: vec3((hi.x - lo.x) / 2, (hi.y - lo.y) / 2, (hi.z - lo.z) / 2),
    centre: vec3((hi.x + lo.x) / 2, (hi.y + lo.y) / 2, (hi.z + lo.z) / 2),
  };
}

/**
 * Drop poses above the bin: each object at its orientation, at a random x, y inside the walls and
 * at the lowest height where its axis-aligned box clears the floor and every box placed before it.
 * Nothing starts interpenetrating, and the pile starts low, so little falls out over the walls.
 */
const DROP_ATTEMPTS = 3;

function dropPoses(rng: Rng, shapes: readonly Shape[], [hx, hy]: readonly [number, number]): Pose[] {
  const placed: { lo: Vec3; hi: Vec3 }[] = [];
  const gap = 0.003;
  return shapes.map((shape) => {
    const orientation = randomQuat(rng);
    const box = rotatedHalfExtents(shape, orientation);
    const mx = Math.min(box.half.x, hx - 0.01);
    const my = Math.min(box.half.y, hy - 0.01);
    const bottomAt = (x: number, y: number): number => {
      let bottom = gap;
      for (const other of placed) {
        const overlaps =
          x - box.half.x < other.hi.x &&
          x + box.half.x > other.lo.x &&
          y - box.half.y < other.hi.y &&
          y + box.half.y > other.lo.y;
        if (overlaps) bottom = Math.max(bottom, other.hi.z + gap);
      }
      return bottom;
    };
    // The lowest of a few random spots: the pile starts low (short fall, quick to settle) yet
    // objects still land on each other often.
    let x = 0;
    let y = 0;
    let bottom = Infinity;
    for (let attempt = 0; attempt < DROP_ATTEMPTS; attempt++) {
      const cx = rng.uniform(-hx + mx, hx - mx);
      const cy = rng.uniform(-hy + my, hy - my);
      const b = bottomAt(cx, cy);
      if (b < bottom) {
        x = cx;
        y = cy;
        bottom = b;
      }
    }
    const lo = vec3(x - box.half.x, y - box.half.y, bottom);
    const hi = vec3(x + box.half.x, y + box.half.y, bottom + 2 * box.half.z);
    placed.push({ lo, hi });
    // The box centre sits at (x, y, bottom + half z); the centre of mass is offset from it.
    const position = vec3(x - box.centre.x, y - box.centre.y, bottom + box.half.z - box.centre.z);
    return { position, orientation };
  });
}

/** A random clutter scene (unsettled: objects at their drop poses). Same options → same scene. */
export function generateClutter(options: ClutterOptions): Scene {
  const { count, seed } = options;
  if (!Number.isInteger(count) || count < 0 || count > MAX_OBJECTS) {
    throw new RangeError(`clutter count must be an integer in 0–${MAX_OBJECTS}, got ${count}`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  const kinds = options.kinds ?? SHAPE_KINDS;
  if (kinds.length === 0) throw new RangeError('kinds must name at least one shape family');
  const bin: BinSpec = { ...DEFAULT_BIN, ...options.bin };
  // Independent streams: changing how appearances are drawn never moves the objects.
  const shapeRng = new Rng(deriveSeed(seed, 'shapes'));
  const poseRng = new Rng(deriveSeed(seed, 'poses'));
  const lookRng = new Rng(deriveSeed(seed, 'appearance'));

  const draw = options.drawShape ?? ((rng: Rng) => randomShape(rng, rng.pick(kinds)));
  const shapes = Array.from({ length: count }, (_, i) => draw(shapeRng, i));
  const [hx, hy] = binHalf(bin);
  const drop = options.dropHalf ?? [Infinity, Infinity];
  const poses = dropPoses(poseRng, shapes, [Math.min(drop[0], hx), Math.min(drop[1], hy)]);
  const objects: SceneObject[] = shapes.map((shape, i) => ({
    id: i + 1,
    shape,
    pose: poses[i],
    mass: shapeVolume(shape) * shapeRng.uniform(300, 1000),
    friction: shapeRng.uniform(0.5, 0.9),
    appearance: randomAppearance(lookRng),
  }));
  const binAppearance: Appearance = {
    ...DEFAULT_BIN_APPEARANCE,
    color: hsvToRgb(lookRng.next(), lookRng.uniform(0.05, 0.35), lookRng.uniform(0.3, 0.6)),
  };
  binAppearance.secondaryColor = binAppearance.color.map((c) => c * 0.85) as Rgb;
  const tableAppearance: Appearance = {
    ...DEFAULT_TABLE_APPEARANCE,
    color: hsvToRgb(lookRng.uniform(0.05, 0.12), lookRng.uniform(0.2, 0.5), lookRng.uniform(0.45, 0.75)),
  };
  tableAppearance.secondaryColor = tableAppearance.color.map((c) => c * 0.8) as Rgb;
  return { seed, bin, objects, lighting: randomLighting(lookRng), binAppearance, tableAppearance };
}

/** An empty scene with default bin, light and looks; add objects by pose (tests, scenarios). */
export function emptyScene(seed = 0): Scene {
  return {
    seed,
    bin: { ...DEFAULT_BIN },
    objects: [],
    lighting: { ...DEFAULT_LIGHTING, color: [...DEFAULT_LIGHTING.color] },
    binAppearance: { ...DEFAULT_BIN_APPEARANCE },
    tableAppearance: { ...DEFAULT_TABLE_APPEARANCE },
  };
}

/** Plain defaults for an object placed by hand. */
export function makeObject(
  id: number,
  shape: Shape,
  position: Vec3,
  options: Partial<Omit<SceneObject, 'id' | 'shape' | 'pose'>> & { orientation?: Pose['orientation'] } = {},
): SceneObject {
  return {
    id,
    shape,
    pose: { position: { ...position }, orientation: { ...(options.orientation ?? IDENTITY_QUAT) } },
    mass: options.mass ?? shapeVolume(shape) * 600,
    friction: options.friction ?? 0.7,
    appearance: options.appearance ?? {
      color: [0.8, 0.3, 0.2],
      secondaryColor: [0.6, 0.2, 0.15],
      pattern: 'solid',
      scale: 0.02,
    },
  };
}

/** An axis-aligned box of the bin: centre and half extents, world frame. */
export interface BinBox {
  center: Vec3;
  half: [number, number, number];
}

/**
 * The bin as boxes: the floor slab (top at z = 0, always first) and four walls standing on the table;
 * the ±x walls run past the corners. A wall with a handle slot is four boxes around the hole (below,
 * above, either side), so rays, colliders and labels all see the gap: 5 boxes, 11 with handles.
 */
export function binBoxes(bin: BinSpec): BinBox[] {
  const [hx, hy] = binHalf(bin);
  const wt = bin.wallThickness;
  const ft = bin.floorThickness;
  const bottom = -ft;
  const top = bin.wallHeight;
  const slotted = bin.handles ? handleAxis(bin) : null;
  const out: BinBox[] = [{ center: vec3(0, 0, -ft / 2), half: [hx + wt, hy + wt, ft / 2] }];
  // One wall: `across` is its centre on the axis it faces, `along` its half length on the other axis.
  const wall = (axis: 'x' | 'y', across: number, along: number): void => {
    const box = (a0: number, a1: number, z0: number, z1: number): BinBox => {
      const c = (a0 + a1) / 2;
      const h = (a1 - a0) / 2;
      const center = axis === 'x' ? vec3(across, c, (z0 + z1) / 2) : vec3(c, across, (z0 + z1) / 2);
      return { center, half: axis === 'x' ? [wt / 2, h, (z1 - z0) / 2] : [h, wt / 2, (z1 - z0) / 2] };
    };
    const handles = slotted === axis ? bin.handles : undefined;
    if (!handles) {
      out.push(box(-along, along, bottom, top));
      return;
    }
    const slotTop = top - handles.belowRim;
    const slotBottom = slotTop - handles.height;
    const w = handles.width / 2;
    out.push(box(-along, along, bottom, slotBottom));
    if (handles.belowRim > 0) out.push(box(-along, along, slotTop, top));
    out.push(box(-along, -w, slotBottom, slotTop), box(w, along, slotBottom, slotTop));
  };
  wall('x', hx + wt / 2, hy + wt);
  wall('x', -hx - wt / 2, hy + wt);
  wall('y', hy + wt / 2, hx);
  wall('y', -hy - wt / 2, hx);
  return out;
}
