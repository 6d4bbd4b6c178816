// Cell files (YAML, docs/cells.md): an integrator's work cell — camera intrinsics and pose, bin or
// table top, object set, sensor model and randomisation ranges — validated with zod. Every error
// names the file and the key; loading writes nothing.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { cameraInfoFromCalibrationYaml } from '../image';
import { type CameraIntrinsics, lookAtRotation } from './camera';
import { mat3ToQuat, normalize, type Pose, quatFromRpy, sub, type Vec3, vec3 } from './math';
import {
  type BinHandles,
  type BinSpec,
  DEFAULT_BIN,
  DEFAULT_HANDLES,
  handlesProblem,
  MAX_OBJECTS,
  type Rgb,
  TEXTURE_PATTERNS,
  type TexturePattern,
} from './scene';
import { binFileSchema, binFromFile, deepestUnionIssue, hexColor, parseColor } from './scenario';
import { MATERIAL_MODES, type MaterialMode } from './materials';
import { loadMeshShape } from './mesh';
import { DEFAULT_LIGHTING_RANGES, type LightingRanges } from './render';
import { SENSOR_MODELS, type SensorModelName } from './sensors';
import { OBJECT_FAMILIES, type Shape, SHAPE_KINDS } from './shapes';

/** Closed interval [min, max]. */
export type Range = readonly [number, number];

/** Bin colours the randomisation draws from (named, so a cell can restrict them). */
export const BIN_COLORS = ['red', 'blue', 'black', 'grey', 'green', 'white'] as const;
export type BinColor = (typeof BIN_COLORS)[number];

/** Resolutions the camera randomisation draws from (issue 14). */
export const CELL_RESOLUTIONS: readonly (readonly [number, number])[] = [
  [640, 480],
  [848, 480],
  [1280, 720],
  [516, 386],
];

export interface CellObjectEntry {
  /** A procedural family (box, cylinder, …) or null for a mesh. */
  family: string | null;
  /** Mesh file (absolute, resolved against the cell file) or null for a family. */
  mesh: string | null;
  scale: number;
  mass: number | null;
  /** The loaded mesh (the same shape every time it is drawn), or null for a family. */
  meshShape: Shape | null;
  /** Fixed look (linear RGB, texture pattern) of this entry's objects; null = drawn per object. */
  color: Rgb | null;
  pattern: TexturePattern | null;
  /** Relative frequency when the cell gives a total count. */
  weight: number;
  /** Objects of this entry per scene, when the cell gives counts per entry. */
  count: Range | null;
}

export interface CellObjects {
  /** Total objects per scene (drawn uniformly), or null when every entry has its own count. */
  count: Range | null;
  entries: CellObjectEntry[];
}

export interface CellCameraRandomization {
  /** Camera height above the workspace floor, metres. */
  height: Range;
  /** Angle between the optical axis and straight down, degrees. */
  tiltDeg: Range;
  /** In-plane rotation about the optical axis, degrees. */
  rollDeg: Range;
  fx: Range;
  resolutions: (readonly [number, number])[];
}

export interface CellRandomization {
  bin: {
    /** The long inner side (a square bin's side), uniform; null = the cell's bin's sides. */
    innerSize: Range | null;
    /** Long side / short side, uniform; null = the cell's bin's proportions. The long side lies along
     * the cell's bin's longer axis (x for a square bin). */
    aspect: Range | null;
    wallHeight: Range;
    colors: BinColor[];
    patterns: TexturePattern[];
    /** Share of bins with hand-hold slots of `handleSize`; null = as the cell's bin. */
    handles: number | null;
    handleSize: BinHandles;
  } | null;
  /** Share of scenes without a bin (objects on the table). */
  tabletopShare: number;
  /** Table (floor) textures drawn per scene, with a random colour; null = today's wood look. */
  tablePatterns: TexturePattern[] | null;
  camera: CellCameraRandomization | null;
  /** Colour-to-depth misregistration magnitude, pixels. */
  misregistrationPx: Range;
  /** Unit-to-unit spread of the sensor model's noise and effect rates (0 = the nominal model). */
  sensorVariation: number;
  /** Distractors (not objects to pick) on the table around the workspace, per scene. */
  distractors: Range;
  /** Key light, ambient, colour temperature and shadow probability; null = the scene's own light. */
  lighting: LightingRanges | null;
  /** Object material weights in MATERIAL_MODES order; null = all matte (today). */
  materials: number[] | null;
  /** Probability an object carries a printed label or photo; photo files (absolute) to print from. */
  prints: number;
  photos: string[];
}

export interface Cell {
  name: string;
  description: string;
  /** File it came from ('' for built-in cells). */
  source: string;
  /** Fixed intrinsics, or null: today's D435 default or the randomisation's. */
  intrinsics: CameraIntrinsics | null;
  /** Fixed world-from-optical camera pose, or null: today's default or the randomisation's. */
  cameraPose: Pose | null;
  /** The bin, or null for a table-top cell. */
  bin: BinSpec | null;
  objects: CellObjects;
  /** Sensor models, one drawn per scene; null = the simulator's generic realism (today's). */
  sensors: SensorModelName[] | null;
  randomization: CellRandomization;
}

export class CellError extends Error {
  constructor(
    readonly file: string,
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${file}: ${key ? `${key}: ` : ''}${reason}`);
    this.name = 'CellError';
  }
}

const NO_RANDOMIZATION: CellRandomization = Object.freeze({
  bin: null,
  tabletopShare: 0,
  tablePatterns: null,
  camera: null,
  misregistrationPx: [0, 0] as Range,
  sensorVariation: 0,
  distractors: [0, 0] as Range,
  lighting: null,
  materials: null,
  prints: 0,
  photos: [],
});

/** Today's simulator: the default bin, 3–15 objects of the five primitive families, fixed D435 view. */
export const DEFAULT_CELL: Readonly<Cell> = Object.freeze({
  name: 'default',
  description: "the default bin under a D435 at 0.7 m (the simulator's look without a cell)",
  source: '',
  intrinsics: null,
  cameraPose: null,
  bin: { ...DEFAULT_BIN },
  objects: {
    count: [3, 15] as Range,
    entries: SHAPE_KINDS.map((family) => ({
      family,
      mesh: null,
      meshShape: null,
      scale: 1,
      mass: null,
      color: null,
      pattern: null,
      weight: 1,
      count: null,
    })),
  },
  sensors: null,
  randomization: NO_RANDOMIZATION,
});

// ---- schema ---------------------------------------------------------------------------------------

const vector3 = z.tuple([z.number(), z.number(), z.number()]);
const sensorName = z.enum(SENSOR_MODELS as [SensorModelName, ...SensorModelName[]]);
/** A number or [min, max]; ordering is checked after parsing, with the key named. */
const rangeOf = (inner: z.ZodNumber) => z.union([inner, z.tuple([inner, inner])]);

const intrinsicsSchema = z.strictObject({
  width: z.number().int().min(8).max(4096),
  height: z.number().int().min(8).max(4096),
  fx: z.number().positive(),
  fy: z.number().positive().optional(),
  cx: z.number().optional(),
  cy: z.number().optional(),
});

const cameraSchema = z.strictObject({
  calibration: z.string().min(1).optional(),
  intrinsics: intrinsicsSchema.optional(),
  pose: z
    .strictObject({
      position: vector3,
      look_at: vector3.optional(),
      rpy_deg: vector3.optional(),
    })
    .optional(),
});

const objectEntrySchema = z.strictObject({
  family: z.string().min(1).optional(),
  mesh: z.string().min(1).optional(),
  scale: z.number().positive().max(100).default(1),
  mass: z.number().positive().max(10).optional(),
  color: hexColor.optional(),
  pattern: z.enum(TEXTURE_PATTERNS as [TexturePattern, ...TexturePattern[]]).optional(),
  weight: z.number().positive().default(1),
  count: rangeOf(z.number().int().min(0).max(MAX_OBJECTS)).optional(),
});

const randomizationSchema = z.strictObject({
  bin: z
    .strictObject({
      inner_size: rangeOf(z.number().min(0.1).max(2)).optional(),
      aspect: rangeOf(z.number().min(1).max(4)).optional(),
      wall_height: rangeOf(z.number().min(0).max(0.5)).optional(),
      handles: z.number().min(0).max(1).optional(),
      colors: z.array(z.enum(BIN_COLORS)).min(1).optional(),
      patterns: z
        .array(z.enum(TEXTURE_PATTERNS as [TexturePattern, ...TexturePattern[]]))
        .min(1)
        .optional(),
    })
    .optional(),
  tabletop_share: z.number().min(0).max(1).optional(),
  table: z
    .strictObject({
      patterns: z.array(z.enum(TEXTURE_PATTERNS as [TexturePattern, ...TexturePattern[]])).min(1),
    })
    .optional(),
  camera: z
    .strictObject({
      height: rangeOf(z.number().min(0.2).max(3)).optional(),
      tilt_deg: rangeOf(z.number().min(0).max(60)).optional(),
      roll_deg: rangeOf(z.number().min(-180).max(180)).optional(),
      fx: rangeOf(z.number().min(100).max(5000)).optional(),
      resolutions: z
        .array(z.tuple([z.number().int().min(8).max(4096), z.number().int().min(8).max(4096)]))
        .min(1)
        .optional(),
    })
    .optional(),
  misregistration_px: rangeOf(z.number().min(0).max(50)).optional(),
  sensor_variation: z.number().min(0).max(0.5).optional(),
  distractors: rangeOf(z.number().int().min(0).max(10)).optional(),
  lighting: z
    .strictObject({
      tilt_deg: rangeOf(z.number().min(0).max(80)).optional(),
      intensity: rangeOf(z.number().min(0).max(2)).optional(),
      ambient: rangeOf(z.number().min(0).max(1)).optional(),
      color_temperature_k: rangeOf(z.number().min(1500).max(12000)).optional(),
      shadows: z.number().min(0).max(1).optional(),
    })
    .optional(),
  materials: z
    .strictObject(
      Object.fromEntries(MATERIAL_MODES.map((m) => [m, z.number().min(0).optional()])) as Record<
        MaterialMode,
        z.ZodOptional<z.ZodNumber>
      >,
    )
    .optional(),
  prints: z.number().min(0).max(1).optional(),
  photos: z.array(z.string().min(1)).optional(),
});

const cellSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  camera: cameraSchema.optional(),
  bin: z.union([z.null(), binFileSchema]).optional(),
  objects: z
    .strictObject({
      count: rangeOf(z.number().int().min(1).max(MAX_OBJECTS)).optional(),
      set: z.array(objectEntrySchema).min(1).optional(),
    })
    .optional(),
  sensor: z.union([sensorName, z.array(sensorName).min(1)]).optional(),
  randomization: randomizationSchema.optional(),
});

type CellFile = z.infer<typeof cellSchema>;

function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

function firstIssue(file: string, error: z.ZodError): CellError {
  const issue = error.issues[0];
  if (issue.code === 'unrecognized_keys')
    return new CellError(file, keyPath([...issue.path, issue.keys[0]]), 'unknown key');
  if (issue.code === 'invalid_union') {
    const deepest = deepestUnionIssue(issue);
    if (deepest) {
      const path = [...issue.path, ...deepest.path];
      if (deepest.code === 'unrecognized_keys')
        return new CellError(file, keyPath([...path, deepest.keys[0]]), 'unknown key');
      return new CellError(file, keyPath(path), deepest.message);
    }
  }
  return new CellError(file, keyPath(issue.path), issue.message);
}

function toRange(
  file: string,
  key: string,
  value: number | readonly [number, number] | undefined,
  fallback: Range,
): Range {
  if (value === undefined) return fallback;
  const r: Range = typeof value === 'number' ? [value, value] : value;
  if (r[0] > r[1]) throw new CellError(file, key, `impossible range: min ${r[0]} > max ${r[1]}`);
  return r;
}

function readIntrinsics(file: string, f: CellFile): CameraIntrinsics | null {
  const c = f.camera;
  if (!c) return null;
  if (c.calibration && c.intrinsics) {
    throw new CellError(
      file,
      'camera.intrinsics',
      'give either camera.calibration or camera.intrinsics, not both',
    );
  }
  if (c.intrinsics) {
    const i = c.intrinsics;
    return {
      width: i.width,
      height: i.height,
      fx: i.fx,
      fy: i.fy ?? i.fx,
      cx: i.cx ?? (i.width - 1) / 2,
      cy: i.cy ?? (i.height - 1) / 2,
    };
  }
  if (!c.calibration) return null;
  const path = resolve(dirname(file), c.calibration);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new CellError(file, 'camera.calibration', `cannot read camera_calibration file ${path}`);
  }
  try {
    const info = cameraInfoFromCalibrationYaml(text, path);
    return {
      width: info.width,
      height: info.height,
      fx: info.k[0],
      fy: info.k[4],
      cx: info.k[2],
      cy: info.k[5],
    };
  } catch (e) {
    throw new CellError(file, 'camera.calibration', (e as Error).message);
  }
}

function readPose(file: string, f: CellFile): Pose | null {
  const p = f.camera?.pose;
  if (!p) return null;
  const [x, y, z] = p.position;
  if (p.look_at && p.rpy_deg)
    throw new CellError(file, 'camera.pose.rpy_deg', 'give either look_at or rpy_deg, not both');
  if (p.rpy_deg) {
    const [r, pi, yaw] = p.rpy_deg.map((d) => (d * Math.PI) / 180);
    return { position: { x, y, z }, orientation: quatFromRpy(r, pi, yaw) };
  }
  const target = p.look_at ?? [0, 0, 0];
  if (Math.hypot(target[0] - x, target[1] - y, target[2] - z) < 1e-6) {
    throw new CellError(file, 'camera.pose.look_at', 'must differ from camera.pose.position');
  }
  // Resolved to a pose by the camera module (look-at with +y up in the image, as the default view).
  return lookAtPose({ x, y, z }, { x: target[0], y: target[1], z: target[2] });
}

/** World-from-optical pose looking from `eye` at `target`, +y (the bin's far side) up in the image. */
export function lookAtPose(eye: Vec3, target: Vec3): Pose {
  const f = normalize(sub(target, eye));
  // Looking along ±y, +y cannot be the up hint: +x's side is up instead.
  const up = Math.abs(f.y) > 0.999 ? vec3(1, 0, 0) : vec3(0, 1, 0);
  return { position: { ...eye }, orientation: mat3ToQuat(lookAtRotation({ eye, target, up })) };
}

function readObjects(file: string, f: CellFile): CellObjects {
  const o = f.objects;
  if (!o) return DEFAULT_CELL.objects;
  const set: z.infer<typeof objectEntrySchema>[] =
    o.set ?? SHAPE_KINDS.map((family) => ({ family, scale: 1, weight: 1 }));
  const families: readonly string[] = OBJECT_FAMILIES;
  const entries: CellObjectEntry[] = set.map((e, i) => {
    const at = (key: string): string => `objects.set[${i}]${key ? `.${key}` : ''}`;
    if (!e.family === !e.mesh) throw new CellError(file, at(''), 'give either family or mesh');
    if (e.family && !families.includes(e.family)) {
      throw new CellError(file, at('family'), `unknown family '${e.family}' (one of ${families.join(', ')})`);
    }
    let mesh: string | null = null;
    let meshShape: Shape | null = null;
    if (e.mesh) {
      mesh = resolve(dirname(file), e.mesh);
      if (!existsSync(mesh) || !statSync(mesh).isFile())
        throw new CellError(file, at('mesh'), `mesh file not found: ${mesh}`);
      if (!/\.(obj|stl)$/i.test(mesh))
        throw new CellError(file, at('mesh'), `expected an .obj or .stl file, got ${mesh}`);
      meshShape = loadEntryMesh(file, at('mesh'), mesh, e.scale, e.mass);
    }
    const count = e.count !== undefined ? toRange(file, at('count'), e.count, [0, 0]) : null;
    return {
      family: e.family ?? null,
      mesh,
      meshShape,
      scale: e.scale,
      mass: e.mass ?? null,
      color: e.color ? parseColor(e.color) : null,
      pattern: e.pattern ?? null,
      weight: e.weight,
      count,
    };
  });
  const perEntry = entries.filter((e) => e.count !== null).length;
  if (o.count !== undefined && perEntry > 0) {
    throw new CellError(
      file,
      'objects.count',
      'give a total count or a count per entry of objects.set, not both',
    );
  }
  if (o.count === undefined && perEntry > 0 && perEntry < entries.length) {
    const missing = entries.findIndex((e) => e.count === null);
    throw new CellError(
      file,
      `objects.set[${missing}].count`,
      'every entry needs a count when any entry has one',
    );
  }
  if (perEntry > 0) {
    const most = entries.reduce((s, e) => s + (e.count as Range)[1], 0);
    const least = entries.reduce((s, e) => s + (e.count as Range)[0], 0);
    if (most > MAX_OBJECTS)
      throw new CellError(file, 'objects.set', `counts add up to ${most} objects; at most ${MAX_OBJECTS}`);
    if (least < 0) throw new CellError(file, 'objects.set', 'counts must be ≥ 0');
    return { count: null, entries };
  }
  return { count: toRange(file, 'objects.count', o.count, DEFAULT_CELL.objects.count as Range), entries };
}

/** Loads the mesh once at load time: a broken file is the cell's error, with the key named. */
function loadEntryMesh(
  file: string,
  key: string,
  mesh: string,
  scale: number,
  mass: number | undefined,
): Shape {
  try {
    return loadMeshShape(mesh, { scale, mass });
  } catch (e) {
    throw new CellError(file, key, (e as Error).message);
  }
}

function readRandomization(file: string, f: CellFile, bin: BinSpec | null): CellRandomization {
  const r = f.randomization;
  if (!r) return NO_RANDOMIZATION;
  const base = bin ?? DEFAULT_BIN;
  const binR = r.bin
    ? {
        innerSize:
          r.bin.inner_size === undefined
            ? null
            : toRange(file, 'randomization.bin.inner_size', r.bin.inner_size, [0, 0]),
        aspect:
          r.bin.aspect === undefined ? null : toRange(file, 'randomization.bin.aspect', r.bin.aspect, [1, 1]),
        wallHeight: toRange(file, 'randomization.bin.wall_height', r.bin.wall_height, [
          base.wallHeight,
          base.wallHeight,
        ]),
        colors: r.bin.colors ?? [...BIN_COLORS],
        patterns: r.bin.patterns ?? ['solid', 'noise'],
        handles: r.bin.handles ?? null,
        handleSize: base.handles ?? { ...DEFAULT_HANDLES },
      }
    : null;
  if (binR && f.bin === null)
    throw new CellError(file, 'randomization.bin', 'the cell has no bin (bin: null)');
  if (binR && (binR.handles ?? 0) > 0) {
    // The slot must fit the largest bin drawn; smaller bins it does not fit get none (docs/cells.md).
    const long = binR.innerSize ? binR.innerSize[1] : Math.max(...base.innerSize);
    const short = binR.aspect
      ? long / binR.aspect[0]
      : (long * Math.min(...base.innerSize)) / Math.max(...base.innerSize);
    const largest = { ...base, innerSize: [long, short] as const, wallHeight: binR.wallHeight[1] };
    const problem = handlesProblem(largest, binR.handleSize);
    if (problem)
      throw new CellError(file, 'randomization.bin.handles', `fits no bin of the ranges: ${problem.reason}`);
  }
  const cameraR = r.camera
    ? {
        height: toRange(file, 'randomization.camera.height', r.camera.height, [0.4, 1.5]),
        tiltDeg: toRange(file, 'randomization.camera.tilt_deg', r.camera.tilt_deg, [0, 35]),
        rollDeg: toRange(file, 'randomization.camera.roll_deg', r.camera.roll_deg, [-180, 180]),
        fx: toRange(file, 'randomization.camera.fx', r.camera.fx, [450, 1400]),
        resolutions: r.camera.resolutions ?? CELL_RESOLUTIONS.map((x) => [...x] as [number, number]),
      }
    : null;
  if (cameraR && f.camera?.pose)
    throw new CellError(file, 'randomization.camera', 'the cell fixes camera.pose; remove one');
  if (cameraR && (f.camera?.intrinsics || f.camera?.calibration)) {
    throw new CellError(
      file,
      'randomization.camera',
      'the cell fixes the intrinsics (camera.intrinsics/calibration); remove one',
    );
  }
  if (cameraR) {
    const wallTop = binR ? binR.wallHeight[1] : base.wallHeight;
    if (cameraR.height[0] <= wallTop + 0.1) {
      throw new CellError(
        file,
        'randomization.camera.height',
        `min ${cameraR.height[0]} m must clear the bin walls (${wallTop} m) by 0.1 m`,
      );
    }
  }
  const l = r.lighting;
  const d = DEFAULT_LIGHTING_RANGES;
  const deg = Math.PI / 180;
  const lighting: LightingRanges | null = l
    ? {
        tilt: toRange(file, 'randomization.lighting.tilt_deg', l.tilt_deg, [
          d.tilt[0] / deg,
          d.tilt[1] / deg,
        ]).map((v) => v * deg) as [number, number],
        intensity: [...toRange(file, 'randomization.lighting.intensity', l.intensity, d.intensity)] as [
          number,
          number,
        ],
        ambient: [...toRange(file, 'randomization.lighting.ambient', l.ambient, d.ambient)] as [
          number,
          number,
        ],
        colorTemperature: [
          ...toRange(
            file,
            'randomization.lighting.color_temperature_k',
            l.color_temperature_k,
            d.colorTemperature,
          ),
        ] as [number, number],
        shadows: l.shadows ?? d.shadows,
      }
    : null;
  let materials: number[] | null = null;
  if (r.materials) {
    const m = r.materials;
    materials = MATERIAL_MODES.map((mode) => m[mode] ?? 0);
    if (!materials.some((w) => w > 0))
      throw new CellError(file, 'randomization.materials', 'weights must not all be 0');
  }
  const photos = (r.photos ?? []).map((photo, i) => {
    const p = resolve(dirname(file), photo);
    if (!existsSync(p)) throw new CellError(file, `randomization.photos[${i}]`, `photo file not found: ${p}`);
    return p;
  });
  return {
    lighting,
    materials,
    prints: r.prints ?? 0,
    photos,
    bin: binR,
    tabletopShare: r.tabletop_share ?? 0,
    tablePatterns: r.table?.patterns ?? null,
    camera: cameraR,
    misregistrationPx: toRange(file, 'randomization.misregistration_px', r.misregistration_px, [0, 0]),
    sensorVariation: r.sensor_variation ?? 0,
    distractors: toRange(file, 'randomization.distractors', r.distractors, [0, 0]),
  };
}

/** Validates parsed YAML; `file` names the source in errors and anchors relative paths. */
export function parseCell(data: unknown, file = '<cell>'): Cell {
  const result = cellSchema.safeParse(data);
  if (!result.success) throw firstIssue(file, result.error);
  const f = result.data;
  const bin: BinSpec | null =
    f.bin === null ? null : binFromFile(f.bin, (key, reason) => new CellError(file, `bin.${key}`, reason));
  const intrinsics = readIntrinsics(file, f);
  const cameraPose = readPose(file, f);
  const objects = readObjects(file, f);
  const randomization = readRandomization(file, f, bin);
  if (cameraPose && cameraPose.position.z <= (bin?.wallHeight ?? 0) + 0.05) {
    throw new CellError(file, 'camera.pose.position', 'the camera must be above the bin walls');
  }
  const sensor = f.sensor === undefined ? null : typeof f.sensor === 'string' ? [f.sensor] : [...f.sensor];
  return {
    name: f.name,
    description: f.description,
    source: file,
    intrinsics,
    cameraPose,
    bin,
    objects,
    sensors: sensor,
    randomization,
  };
}

/** Reads and validates one cell file (YAML or JSON). */
export function loadCell(file: string): Cell {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CellError(
      file,
      '',
      `cannot read cell file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
    );
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}` : '';
    throw new CellError(file, where, `not valid YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new CellError(file, '', 'expected a mapping with at least a name (see docs/cells.md)');
  }
  return parseCell(data, file);
}
