// One scene of a cell: the cell's fixed parts plus its randomisation, drawn from the scene seed.
// Camera pose and intrinsics are sampled jointly: the pose first, then the focal length from the
// range that keeps every corner of the workspace (floor and rim) inside the image.
import { type CameraConfig, type CameraIntrinsics, createCamera, projectPoint } from './camera';
import { type BinColor, type Cell, CellError, type CellObjectEntry, lookAtPose } from './cell';
import { mat3ToQuat, quatFromRpy, quatToMat3, type Pose, type Vec3, vec3 } from './math';
import { deriveSeed, Rng } from './random';
import {
  type Appearance,
  type BinHandles,
  binHalf,
  type BinSpec,
  DEFAULT_BIN,
  generateClutter,
  handlesProblem,
  hsvToRgb,
  makeObject,
  rotatedHalfExtents,
  type Rgb,
  type Scene,
  type SceneObject,
} from './scene';
import { randomFamilyShape } from './families';
import { type FrameOptions } from './frame';
import { randomMaterialMode } from './materials';
import { sampleLighting } from './render';
import { perturbSensorModel, SENSOR_PARAMETERS, type SensorModelName } from './sensors';
import { randomPrint } from './texture';
import { type ObjectFamily, type Shape } from './shapes';

/** What a cell's scene needs besides the scene: the camera, the colour shift and the sensor. */
export interface CellSample {
  scene: Scene;
  camera: CameraConfig;
  /** Colour image shift relative to depth and labels, whole pixels (x right, y down). */
  misregistration: [number, number];
  /** Sensor model drawn for this scene; null = the caller's generic realism setting. */
  sensor: SensorModelName | null;
  /** Frame options the cell decides (sensor model, cast shadows); merge into every frame() call. */
  frame: FrameOptions;
  /** Objects requested (before settling spills any). */
  count: number;
  /** True when this scene has no bin (objects on the table). */
  tabletop: boolean;
  /** Corners of the workspace (floor and rim, or the table area and pile top) kept in view. */
  workspace: Vec3[];
}

/** Linear-RGB base colours of the named bin colours (plastic totes, as sRGB photos show them). */
export const BIN_COLOR_RGB: Readonly<Record<BinColor, Rgb>> = Object.freeze({
  red: [0.55, 0.04, 0.03],
  blue: [0.03, 0.1, 0.45],
  black: [0.018, 0.018, 0.02],
  grey: [0.28, 0.29, 0.3],
  green: [0.05, 0.3, 0.07],
  white: [0.78, 0.78, 0.75],
});

/** Table-top cells: a wide, flush slab stands in for the bin so physics and rendering stay one path. */
const TABLETOP_SLAB = 1.2;
/** Height objects pile to on a table top, for the in-view check. */
const TABLETOP_PILE = 0.12;
/** Pixels kept between the workspace and the image border. */
const VIEW_MARGIN_PX = 4;
const CAMERA_ATTEMPTS = 200;

/** Today's D435 view at any resolution (what the simulator does without a cell). */
export function defaultCameraConfig(width: number, height: number): CameraConfig {
  const scale = width / 640;
  return { width, height, fx: 615 * scale, fy: 615 * scale };
}

/**
 * The corners that must stay in view: the workspace floor and its rim (or, on a table top with half
 * extents `tabletopHalf` [x, y], the table area and the pile top).
 */
export function workspaceCorners(bin: BinSpec, tabletopHalf: readonly [number, number] | null): Vec3[] {
  const [hx, hy] = tabletopHalf ?? binHalf(bin);
  const top = tabletopHalf === null ? bin.wallHeight : TABLETOP_PILE;
  const out: Vec3[] = [];
  for (const z of [0, top]) for (const x of [-hx, hx]) for (const y of [-hy, hy]) out.push(vec3(x, y, z));
  return out;
}

/** Largest focal length (px) at which every point projects inside the image with a margin; 0 if none. */
export function maxFocalInView(pose: Pose, width: number, height: number, points: readonly Vec3[]): number {
  const probe = createCamera({ width, height, fx: 1, fy: 1, pose });
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  let best = Infinity;
  for (const p of points) {
    const { u, v, depth } = projectPoint(probe, p);
    if (depth < 0.05) return 0;
    // With fx = 1 the projection is cx + x/z; the offset scales linearly with the focal length.
    const dx = Math.abs(u - cx);
    const dy = Math.abs(v - cy);
    if (dx > 0) best = Math.min(best, (cx - VIEW_MARGIN_PX) / dx);
    if (dy > 0) best = Math.min(best, (cy - VIEW_MARGIN_PX) / dy);
  }
  return best;
}

function rollAboutOptical(pose: Pose, roll: number): Pose {
  const m = quatToMat3(pose.orientation);
  const c = Math.cos(roll);
  const s = Math.sin(roll);
  // Columns are the optical x, y, z axes in the world; rotate x and y about z.
  const out = [...m];
  for (let r = 0; r < 3; r++) {
    const x = m[r * 3];
    const y = m[r * 3 + 1];
    out[r * 3] = c * x + s * y;
    out[r * 3 + 1] = -s * x + c * y;
  }
  return { position: { ...pose.position }, orientation: mat3ToQuat(out) };
}

/**
 * Joint pose and intrinsics draw keeping `corners` in view; throws when the ranges cannot. With
 * `outWidth` the drawn camera is scaled to that image width (same field of view and aspect ratio):
 * datasets and benchmarks render the randomised cameras at one chosen size.
 */
export function sampleCamera(
  cell: Cell,
  rng: Rng,
  corners: readonly Vec3[],
  outWidth?: number,
): CameraConfig {
  const r = cell.randomization.camera;
  if (!r) throw new Error('sampleCamera needs a cell with randomization.camera');
  const deg = Math.PI / 180;
  for (let attempt = 0; attempt < CAMERA_ATTEMPTS; attempt++) {
    const [width, height] = rng.pick(r.resolutions);
    const z = rng.uniform(r.height[0], r.height[1]);
    const tilt = rng.uniform(r.tiltDeg[0], r.tiltDeg[1]) * deg;
    const azimuth = rng.uniform(0, 2 * Math.PI);
    const roll = rng.uniform(r.rollDeg[0], r.rollDeg[1]) * deg;
    // Aim near the workspace centre; the camera stands back along the tilt.
    const spanX = Math.max(...corners.map((c) => Math.abs(c.x)));
    const spanY = Math.max(...corners.map((c) => Math.abs(c.y)));
    const target = vec3(rng.uniform(-0.1, 0.1) * spanX, rng.uniform(-0.1, 0.1) * spanY, 0);
    const back = z * Math.tan(tilt);
    const eye = vec3(target.x + back * Math.cos(azimuth), target.y + back * Math.sin(azimuth), z);
    const pose = rollAboutOptical(lookAtPose(eye, target), roll);
    const fxMax = Math.min(r.fx[1], maxFocalInView(pose, width, height, corners));
    if (fxMax < r.fx[0]) continue;
    const fx = rng.uniform(r.fx[0], fxMax);
    // Square pixels; the principal point off-centre by up to 1 % of the size, as calibrations report.
    const cx = (width - 1) / 2 + rng.uniform(-0.01, 0.01) * width;
    const cy = (height - 1) / 2 + rng.uniform(-0.01, 0.01) * height;
    const k = outWidth ? outWidth / width : 1;
    const outHeight = Math.round(height * k);
    const intrinsics: CameraIntrinsics = {
      width: Math.round(width * k),
      height: outHeight,
      fx: fx * k,
      fy: fx * k,
      cx: (cx + 0.5) * k - 0.5,
      cy: (cy + 0.5) * k - 0.5,
    };
    // The principal point moved: shrink fx if that pushed a corner out.
    const inView = corners.every((c) => {
      const p = projectPoint(createCamera({ ...intrinsics, pose }), c);
      return p.u >= 0 && p.u <= intrinsics.width - 1 && p.v >= 0 && p.v <= intrinsics.height - 1;
    });
    if (!inView) continue;
    return { ...intrinsics, pose };
  }
  throw new CellError(
    cell.source || cell.name,
    'randomization.camera',
    `no camera in ${CAMERA_ATTEMPTS} draws keeps the workspace in view; widen height or fx, or shrink the bin`,
  );
}

function pickWeighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  const total = items.reduce((s, e) => s + e.weight, 0);
  let x = rng.next() * total;
  for (const item of items) {
    x -= item.weight;
    if (x < 0) return item;
  }
  return items[items.length - 1];
}

function entryShape(rng: Rng, entry: CellObjectEntry): Shape {
  if (entry.meshShape) return entry.meshShape;
  return randomFamilyShape(rng, entry.family as ObjectFamily);
}

/** The objects' shapes for one scene: a total count over weighted entries, or a count per entry. */
function drawObjects(
  cell: Cell,
  seed: number,
  drawn: CellObjectEntry[],
): { count: number; draw: (rng: Rng, i: number) => Shape } | null {
  const { count, entries } = cell.objects;
  const allEqual = entries.every(
    (e) => e.weight === entries[0].weight && e.family !== null && e.count === null,
  );
  if (count) {
    // Today's draw for the default object set, so the default cell reproduces the simulator exactly.
    const n = count[0] + new Rng(seed).int(count[1] - count[0] + 1);
    const draw = (rng: Rng): Shape => {
      const entry = allEqual ? rng.pick(entries) : pickWeighted(rng, entries);
      drawn.push(entry);
      return entryShape(rng, entry);
    };
    return { count: n, draw };
  }
  const counts = new Rng(deriveSeed(seed, 'cell-counts'));
  const list: CellObjectEntry[] = [];
  for (const e of entries) {
    const range = e.count ?? [0, 0];
    const n = range[0] + counts.int(range[1] - range[0] + 1);
    for (let k = 0; k < n; k++) list.push(e);
  }
  if (list.length === 0) return null;
  drawn.push(...list);
  return { count: list.length, draw: (rng: Rng, i: number) => entryShape(rng, list[i]) };
}

/** Things in view that are not to be picked: another tote's corner, a gripper or arm part, a cable. */
function distractor(rng: Rng, id: number, [ix, iy]: readonly [number, number], tableZ: number): SceneObject {
  const kind = rng.pick(['tote', 'gripper', 'arm', 'cable'] as const);
  let shape: Shape;
  switch (kind) {
    case 'tote':
      shape = { kind: 'box', size: [rng.uniform(0.15, 0.3), rng.uniform(0.1, 0.2), rng.uniform(0.05, 0.12)] };
      break;
    case 'gripper':
      shape = { kind: 'cylinder', radius: rng.uniform(0.02, 0.04), length: rng.uniform(0.08, 0.16) };
      break;
    case 'arm':
      shape = { kind: 'capsule', radius: rng.uniform(0.035, 0.06), length: rng.uniform(0.2, 0.35) };
      break;
    case 'cable':
      shape = { kind: 'capsule', radius: rng.uniform(0.004, 0.008), length: rng.uniform(0.2, 0.45) };
      break;
  }
  // On the table just outside the workspace (clear of the walls), lying down, any heading.
  const yaw = rng.uniform(0, 2 * Math.PI);
  const orientation = quatFromRpy(kind === 'tote' ? 0 : Math.PI / 2, 0, yaw);
  const box = rotatedHalfExtents(shape, orientation);
  const side = rng.int(4);
  // Sides 0, 1 face ±x (run along y), sides 2, 3 face ±y.
  const along = side < 2 ? rng.uniform(-iy, iy) : rng.uniform(-ix, ix);
  const reach = side < 2 ? box.half.x : box.half.y;
  const out = (side < 2 ? ix : iy) + reach + rng.uniform(0.005, 0.08);
  const [x, y] = [
    [out, along],
    [-out, along],
    [along, out],
    [along, -out],
  ][side];
  const z = tableZ + box.half.z + 0.003;
  const obj = makeObject(id, shape, vec3(x - box.centre.x, y - box.centre.y, z - box.centre.z), {
    orientation,
  });
  const grey = rng.uniform(0.05, 0.6);
  obj.appearance = {
    color:
      kind === 'tote'
        ? BIN_COLOR_RGB[rng.pick(['red', 'blue', 'grey', 'green'] as const)]
        : [grey, grey, grey * 1.05],
    secondaryColor: [grey * 0.8, grey * 0.8, grey * 0.8],
    pattern: 'solid',
    scale: 0.02,
  };
  obj.distractor = true;
  return obj;
}

type BinRandomization = NonNullable<Cell['randomization']['bin']>;

/**
 * Inner sides [x, y] for one scene: the long side from `innerSize`, the short one from `aspect` (or
 * the cell's proportions), the long side along the cell's bin's longer axis (x when square). Always
 * one draw for the long side first, so cells without `aspect` draw what they drew before it existed.
 */
function drawSides(rng: Rng, rb: BinRandomization, cellBin: BinSpec): [number, number] {
  const [bx, by] = cellBin.innerSize;
  const baseLong = Math.max(bx, by);
  const range = rb.innerSize ?? [baseLong, baseLong];
  const long = rng.uniform(range[0], range[1]);
  if (!rb.innerSize && !rb.aspect) return [bx, by];
  const short = rb.aspect
    ? long / rng.uniform(rb.aspect[0], rb.aspect[1])
    : long * (Math.min(bx, by) / baseLong);
  return by > bx ? [short, long] : [long, short];
}

/** `bin` with `handles` where they fit its walls, else with solid walls. */
function withHandles(bin: BinSpec, handles: BinHandles | undefined): BinSpec {
  const { handles: _old, ...solid } = bin;
  return handles && !handlesProblem(solid, handles) ? { ...solid, handles: { ...handles } } : solid;
}

function binLook(rng: Rng, color: BinColor, pattern: Appearance['pattern']): Appearance {
  const base = BIN_COLOR_RGB[color];
  const gain = rng.uniform(0.8, 1.15);
  const c = base.map((v) => Math.min(1, v * gain)) as Rgb;
  return { color: c, secondaryColor: c.map((v) => v * 0.85) as Rgb, pattern, scale: rng.uniform(0.01, 0.04) };
}

/**
 * The scene of `cell` for `seed`. `size` is the caller's image size: used as is when the cell fixes
 * no intrinsics, and as the width randomised cameras are scaled to (see sampleCamera); cells with
 * fixed intrinsics keep their own.
 * Same cell and seed → the same sample. The default cell gives exactly `generateClutter`'s scene.
 */
export function sampleCellScene(
  cell: Cell,
  seed: number,
  size?: { width: number; height: number },
): CellSample {
  const drawn: CellObjectEntry[] = [];
  const objects = drawObjects(cell, seed, drawn);
  const rr = cell.randomization;
  const rng = new Rng(deriveSeed(seed, 'cell'));
  const tabletop = cell.bin === null || (rr.tabletopShare > 0 && rng.next() < rr.tabletopShare);
  const cellBin = cell.bin ?? DEFAULT_BIN;
  let bin: BinSpec = { ...cellBin };
  if (rr.bin && !tabletop) {
    bin = {
      ...bin,
      innerSize: drawSides(rng, rr.bin, cellBin),
      wallHeight: rng.uniform(rr.bin.wallHeight[0], rr.bin.wallHeight[1]),
    };
  }
  const share = rr.bin?.handles ?? null;
  if (!tabletop && (bin.handles || share !== null)) {
    // Its own stream: a share of handles moves nothing else the scene draws.
    const handles =
      share === null
        ? bin.handles
        : new Rng(deriveSeed(seed, 'cell-handles')).next() < share
          ? rr.bin?.handleSize
          : undefined;
    bin = withHandles(bin, handles);
  }
  let workHalf: [number, number] | null = null;
  if (tabletop) {
    const [sx, sy] = rr.bin ? drawSides(rng, rr.bin, cellBin) : bin.innerSize;
    workHalf = [sx / 2, sy / 2];
    bin = { ...withHandles(bin, undefined), innerSize: [TABLETOP_SLAB, TABLETOP_SLAB], wallHeight: 0 };
  }

  const base = generateClutter({
    count: objects?.count ?? 0,
    seed,
    bin,
    drawShape: objects?.draw,
    dropHalf: workHalf ?? undefined,
  });
  const scene: Scene = tabletop ? { ...base, support: true } : base;
  // A cell's mass for its mesh parts replaces the density draw.
  scene.objects.forEach((o, i) => {
    const entry = drawn[i];
    if (entry?.mass) o.mass = entry.mass;
    // An entry's own colour or texture (an integrator's parts look as they do).
    if (entry?.color)
      o.appearance = {
        ...o.appearance,
        color: entry.color,
        secondaryColor: entry.color.map((c) => c * 0.8) as Rgb,
      };
    if (entry?.pattern) o.appearance = { ...o.appearance, pattern: entry.pattern };
  });
  const looks = new Rng(deriveSeed(seed, 'cell-looks'));
  if (rr.materials || rr.prints > 0) {
    for (const o of scene.objects) {
      if (rr.materials) o.appearance.material = randomMaterialMode(looks, rr.materials);
      if (rr.prints > 0 && looks.next() < rr.prints)
        o.appearance.print = randomPrint(looks, { photos: rr.photos });
    }
  }
  let shadows: boolean | undefined;
  if (rr.lighting) {
    const light = sampleLighting(looks, rr.lighting);
    scene.lighting = light.lighting;
    shadows = light.shadows;
  }
  const [d0, d1] = rr.distractors;
  if (d1 > 0) {
    const drng = new Rng(deriveSeed(seed, 'cell-distractors'));
    const n = d0 + drng.int(d1 - d0 + 1);
    const [hx, hy] = workHalf ?? binHalf(bin).map((h) => h + bin.wallThickness);
    const inner: [number, number] = [hx + 0.02, hy + 0.02];
    for (let k = 0; k < n; k++)
      scene.objects.push(distractor(drng, scene.objects.length + 1, inner, -bin.floorThickness));
  }
  if (rr.bin && !tabletop) {
    const color = rng.pick(rr.bin.colors);
    scene.binAppearance = binLook(rng, color, rng.pick(rr.bin.patterns));
    // Black plastic absorbs the projector's light: the sensors' dark-surface dropouts apply.
    if (color === 'black') scene.binAppearance.material = 'dark';
  }
  if (rr.tablePatterns) {
    // Any hue, mostly muted (wood, laminate, concrete, painted steel), any of the listed textures.
    const c = hsvToRgb(rng.next(), rng.uniform(0, 0.5), rng.uniform(0.2, 0.8));
    scene.tableAppearance = {
      color: c,
      secondaryColor: c.map((v) => v * rng.uniform(0.6, 0.9)) as Rgb,
      pattern: rng.pick(rr.tablePatterns),
      scale: rng.uniform(0.008, 0.05),
    };
  }
  if (tabletop) scene.binAppearance = { ...scene.tableAppearance };

  const workspace = workspaceCorners(bin, workHalf);
  let camera: CameraConfig;
  if (rr.camera) {
    camera = sampleCamera(cell, new Rng(deriveSeed(seed, 'cell-camera')), workspace, size?.width);
  } else {
    camera = cell.intrinsics
      ? { ...cell.intrinsics }
      : defaultCameraConfig(size?.width ?? 640, size?.height ?? 480);
    if (cell.cameraPose) camera.pose = cell.cameraPose;
  }
  const [m0, m1] = rr.misregistrationPx;
  let misregistration: [number, number] = [0, 0];
  if (m1 > 0) {
    const magnitude = rng.uniform(m0, m1);
    const angle = rng.uniform(0, 2 * Math.PI);
    misregistration = [Math.round(magnitude * Math.cos(angle)), Math.round(magnitude * Math.sin(angle))];
  }
  const sensor = cell.sensors ? (rng.pick(cell.sensors) as SensorModelName) : null;
  // Another unit of the same camera: its noise and effect rates spread around the nominal model.
  const sensorModel =
    sensor && rr.sensorVariation > 0
      ? perturbSensorModel(
          SENSOR_PARAMETERS[sensor],
          new Rng(deriveSeed(seed, 'cell-sensor')),
          rr.sensorVariation,
        )
      : sensor;
  const frame: FrameOptions = {
    ...(sensorModel ? { sensor: sensorModel } : {}),
    ...(shadows !== undefined ? { shadows } : {}),
  };
  const count = scene.objects.filter((o) => !o.distractor).length;
  return { scene, camera, misregistration, sensor, frame, count, tabletop, workspace };
}

/** Shifts an RGB image by (dx, dy) whole pixels; borders repeat the nearest edge pixel. Pure. */
export function shiftRgb(rgb: Uint8Array, width: number, height: number, dx: number, dy: number): Uint8Array {
  if (dx === 0 && dy === 0) return rgb;
  const out = new Uint8Array(rgb.length);
  for (let v = 0; v < height; v++) {
    const sv = Math.min(height - 1, Math.max(0, v - dy));
    for (let u = 0; u < width; u++) {
      const su = Math.min(width - 1, Math.max(0, u - dx));
      const o = (v * width + u) * 3;
      const i = (sv * width + su) * 3;
      out[o] = rgb[i];
      out[o + 1] = rgb[i + 1];
      out[o + 2] = rgb[i + 2];
    }
  }
  return out;
}
