// Scenario files (YAML or JSON) in scenarios/: hand-built arrangements like VPG's test cases, or
// random clutter by count and seed. Validation errors name the file and the field.
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { quatFromRpy } from './math';
import {
  type Appearance,
  type BinHandles,
  type BinSpec,
  binHalf,
  DEFAULT_BIN,
  DEFAULT_BIN_APPEARANCE,
  DEFAULT_HANDLES,
  DEFAULT_LIGHTING,
  DEFAULT_TABLE_APPEARANCE,
  generateClutter,
  handlesProblem,
  MAX_OBJECTS,
  type Rgb,
  randomAppearance,
  type Scene,
  type SceneObject,
  TEXTURE_PATTERNS,
} from './scene';
import { deriveSeed, Rng } from './random';
import { type Shape, SHAPE_KINDS, shapeVolume } from './shapes';

/** A scenario file's meaning after validation (lengths in metres, angles in degrees). */
export interface Scenario {
  name: string;
  description: string;
  /** Seeds random clutter, and the looks of objects that give no colour. */
  seed: number;
  /** Let physics settle the objects before the first frame. */
  settle: boolean;
  bin: BinSpec;
  /** Either random clutter… */
  random: { count: number } | null;
  /** …or objects placed by pose. */
  objects: ScenarioObject[];
  /** File it came from ('' when parsed from text). */
  source: string;
}

export interface ScenarioObject {
  shape: Shape;
  /** Centre of mass, world frame. */
  position: [number, number, number];
  /** Fixed-axis roll, pitch, yaw in degrees. */
  rpyDeg: [number, number, number];
  color: Rgb | null;
  pattern: Appearance['pattern'] | null;
  mass: number | null;
  friction: number | null;
}

export class ScenarioError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${file}: ${field ? `${field}: ` : ''}${reason}`);
    this.name = 'ScenarioError';
  }
}

const length = z.number().min(0.01).max(0.3);
const vector3 = z.tuple([z.number(), z.number(), z.number()]);
export const hexColor = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour like "#c04020"');
const common = {
  position: vector3,
  rpy_deg: vector3.optional(),
  color: hexColor.optional(),
  pattern: z.enum(TEXTURE_PATTERNS as [string, ...string[]]).optional(),
  mass: z.number().positive().max(10).optional(),
  friction: z.number().min(0).max(2).optional(),
};
const shapeSchemas = {
  box: z.strictObject({ shape: z.literal('box'), size: z.tuple([length, length, length]), ...common }),
  cylinder: z.strictObject({ shape: z.literal('cylinder'), radius: length, length, ...common }),
  sphere: z.strictObject({ shape: z.literal('sphere'), radius: length, ...common }),
  capsule: z.strictObject({ shape: z.literal('capsule'), radius: length, length, ...common }),
  l_block: z.strictObject({
    shape: z.literal('l_block'),
    length,
    leg_length: length,
    width: length,
    thickness: length,
    ...common,
  }),
} as const;

const binSide = z.number().min(0.1).max(2);
/** A bin's inner size in a file: one number (a square bin) or [x, y]. */
export const binInnerSize = z.union([binSide, z.tuple([binSide, binSide])]);

/** The `bin` mapping of scenario and cell files (docs/cells.md). */
export const binFileSchema = z.strictObject({
  inner_size: binInnerSize.optional(),
  wall_height: z.number().min(0).max(0.5).optional(),
  wall_thickness: z.number().min(0.002).max(0.1).optional(),
  floor_thickness: z.number().min(0.002).max(0.1).optional(),
  /** Hand-hold slots in the short walls: true (DEFAULT_HANDLES), false, or the slot's size. */
  handles: z
    .union([
      z.boolean(),
      z.strictObject({
        width: z.number().positive().max(2).optional(),
        height: z.number().positive().max(0.5).optional(),
        below_rim: z.number().min(0).max(0.5).optional(),
      }),
    ])
    .optional(),
});
export type BinFile = z.infer<typeof binFileSchema>;

/** [x, y] of a file's inner size (a number is a square). */
export function innerSizeOf(value: number | readonly [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : [value[0], value[1]];
}

/** A file's slot size (`handles: true` or a partial size: the rest from DEFAULT_HANDLES), or null. */
export function handlesOf(value: BinFile['handles']): BinHandles | null {
  if (value === undefined || value === false) return null;
  if (value === true) return { ...DEFAULT_HANDLES };
  return {
    width: value.width ?? DEFAULT_HANDLES.width,
    height: value.height ?? DEFAULT_HANDLES.height,
    belowRim: value.below_rim ?? DEFAULT_HANDLES.belowRim,
  };
}

/**
 * The bin a file's `bin` mapping describes (absent keys: DEFAULT_BIN). Handles that do not fit the
 * walls are `fail(key, why)`'s error, key relative to `bin` (the caller names its file).
 */
export function binFromFile(f: BinFile | undefined, fail: (key: string, reason: string) => Error): BinSpec {
  const bin: BinSpec = {
    innerSize: f?.inner_size === undefined ? DEFAULT_BIN.innerSize : innerSizeOf(f.inner_size),
    wallHeight: f?.wall_height ?? DEFAULT_BIN.wallHeight,
    wallThickness: f?.wall_thickness ?? DEFAULT_BIN.wallThickness,
    floorThickness: f?.floor_thickness ?? DEFAULT_BIN.floorThickness,
  };
  const handles = handlesOf(f?.handles);
  if (!handles) return bin;
  const problem = handlesProblem(bin, handles);
  if (problem)
    throw fail(typeof f?.handles === 'object' ? `handles.${problem.field}` : 'handles', problem.reason);
  return { ...bin, handles };
}

const fileSchema = z.strictObject({
  name: z.string().min(1),
  description: z.string().default(''),
  seed: z.number().int().default(0),
  settle: z.boolean().default(true),
  bin: binFileSchema.optional(),
  random: z.strictObject({ count: z.number().int().min(1).max(MAX_OBJECTS) }).optional(),
  objects: z.array(z.unknown()).max(MAX_OBJECTS).optional(),
});

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  );
}

/**
 * Of a failed union (bin.inner_size: a number or [x, y]), the first issue of the branch that got
 * furthest: it names the deepest key, which is what a user needs to fix.
 */
export function deepestUnionIssue(issue: z.core.$ZodIssueInvalidUnion): z.core.$ZodIssue | undefined {
  return issue.errors
    .map((issues) => issues[0])
    .filter((i) => i !== undefined)
    .sort((a, b) => b.path.length - a.path.length)[0];
}

function firstIssue(file: string, prefix: readonly PropertyKey[], error: z.ZodError): ScenarioError {
  let issue = error.issues[0];
  let path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union') {
    const deepest = deepestUnionIssue(issue);
    if (deepest) {
      path = [...path, ...deepest.path];
      issue = deepest;
    }
  }
  if (issue.code === 'unrecognized_keys') path = [...path, issue.keys[0]];
  return new ScenarioError(
    file,
    fieldPath(path),
    issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message,
  );
}

/** sRGB hex colour ('#c04020') → the renderer's linear RGB. */
export function parseColor(hex: string): Rgb {
  // sRGB hex → linear, the renderer's working space.
  const toLinear = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
  return [1, 3, 5].map((i) => toLinear(parseInt(hex.slice(i, i + 2), 16) / 255)) as Rgb;
}

function parseObject(file: string, index: number, raw: unknown): ScenarioObject {
  const at = (...path: PropertyKey[]): string => fieldPath(['objects', index, ...path]);
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ScenarioError(file, at(), 'expected an object with a shape and a position');
  }
  const kind = (raw as { shape?: unknown }).shape;
  if (typeof kind !== 'string' || !(SHAPE_KINDS as readonly string[]).includes(kind)) {
    throw new ScenarioError(file, at('shape'), `expected one of ${SHAPE_KINDS.join(', ')}`);
  }
  const result = shapeSchemas[kind as keyof typeof shapeSchemas].safeParse(raw);
  if (!result.success) throw firstIssue(file, ['objects', index], result.error);
  const o = result.data;
  let shape: Shape;
  switch (o.shape) {
    case 'box':
      shape = { kind: 'box', size: o.size };
      break;
    case 'cylinder':
      shape = { kind: 'cylinder', radius: o.radius, length: o.length };
      break;
    case 'sphere':
      shape = { kind: 'sphere', radius: o.radius };
      break;
    case 'capsule':
      if (o.length < 2 * o.radius) throw new ScenarioError(file, at('length'), 'must be at least 2 × radius');
      shape = { kind: 'capsule', radius: o.radius, length: o.length };
      break;
    case 'l_block':
      if (o.leg_length <= o.width) throw new ScenarioError(file, at('leg_length'), 'must exceed width');
      if (o.length <= o.width) throw new ScenarioError(file, at('length'), 'must exceed width');
      shape = {
        kind: 'l_block',
        length: o.length,
        legLength: o.leg_length,
        width: o.width,
        thickness: o.thickness,
      };
      break;
  }
  return {
    shape,
    position: o.position,
    rpyDeg: o.rpy_deg ?? [0, 0, 0],
    color: o.color ? parseColor(o.color) : null,
    pattern: (o.pattern as Appearance['pattern'] | undefined) ?? null,
    mass: o.mass ?? null,
    friction: o.friction ?? null,
  };
}

/** Validates parsed YAML/JSON; `file` names the source in errors. */
export function parseScenario(data: unknown, file = '<scenario>'): Scenario {
  const result = fileSchema.safeParse(data);
  if (!result.success) throw firstIssue(file, [], result.error);
  const f = result.data;
  if (!f.random === !f.objects) {
    throw new ScenarioError(
      file,
      f.random ? 'objects' : 'random',
      'give either random or objects, not both or neither',
    );
  }
  const bin = binFromFile(f.bin, (key, reason) => new ScenarioError(file, `bin.${key}`, reason));
  const [hx, hy] = binHalf(bin);
  const objects = (f.objects ?? []).map((raw, i) => parseObject(file, i, raw));
  objects.forEach((o, i) => {
    const [x, y, z] = o.position;
    if (Math.abs(x) > hx || Math.abs(y) > hy || z < 0) {
      throw new ScenarioError(
        file,
        fieldPath(['objects', i, 'position']),
        `must lie inside the bin (|x| ≤ ${hx}, |y| ≤ ${hy}, z ≥ 0; origin at the floor centre)`,
      );
    }
  });
  return {
    name: f.name,
    description: f.description,
    seed: f.seed,
    settle: f.settle,
    bin,
    random: f.random ?? null,
    objects,
    source: file,
  };
}

/** Reads and validates one scenario file (.yaml, .yml or .json). */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ScenarioError(path, '', `cannot read: ${(e as Error).message}`);
  }
  let data: unknown;
  try {
    data = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? `line ${e.linePos[0].line}` : '';
    throw new ScenarioError(
      path,
      where,
      `not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message}`,
    );
  }
  return parseScenario(data, path);
}

/** Scenario files in a directory, sorted by name. */
export function listScenarios(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** The scene a scenario describes; `seed` overrides the file's (random clutter, looks). */
export function scenarioScene(scenario: Scenario, seed = scenario.seed): Scene {
  if (scenario.random) return generateClutter({ count: scenario.random.count, seed, bin: scenario.bin });
  const looks = new Rng(deriveSeed(seed, `scenario-${scenario.name}`));
  const objects: SceneObject[] = scenario.objects.map((o, i) => {
    const appearance = randomAppearance(looks);
    const [roll, pitch, yaw] = o.rpyDeg.map((d) => (d * Math.PI) / 180);
    return {
      id: i + 1,
      shape: o.shape,
      pose: {
        position: { x: o.position[0], y: o.position[1], z: o.position[2] },
        orientation: quatFromRpy(roll, pitch, yaw),
      },
      mass: o.mass ?? shapeVolume(o.shape) * 600,
      friction: o.friction ?? 0.7,
      appearance: {
        ...appearance,
        color: o.color ?? appearance.color,
        pattern: o.pattern ?? appearance.pattern,
      },
    };
  });
  return {
    seed,
    bin: { ...scenario.bin },
    objects,
    lighting: { ...DEFAULT_LIGHTING, color: [...DEFAULT_LIGHTING.color] },
    binAppearance: { ...DEFAULT_BIN_APPEARANCE },
    tableAppearance: { ...DEFAULT_TABLE_APPEARANCE },
  };
}
