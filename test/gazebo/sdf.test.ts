// The Gazebo world and object models, parsed by SDFormat 12 (Debian's libsdformat, SDF <= 1.9) through
// sdf_check.cc, against the simulator they mirror: camera intrinsics and pose, bin, table, object
// families; and the launch file's static TF against what SDFormat resolves.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { quaternionToMatrix } from '../../src/geometry';
import { createCamera, DEFAULT_BIN, DEFAULT_LOOK_AT, pixelDirection, type Shape } from '../../src/sim';
import { binBoxes } from '../../src/sim/scene';
import { PrimitiveKind, type ShapePart, shapeParts, shapeVolume } from '../../src/sim/shapes';
import {
  buildSdfChecker,
  checkSdf,
  focalFromFov,
  launchCameraFrames,
  MODELS_DIR,
  type SdfLink,
  type SdfReport,
  SDFORMAT_APT_PACKAGE,
  WORLD,
  worldFromOptical,
} from './gazebo-files';

jest.setTimeout(60_000);

/** The one size per family that worlds/models/<family>/model.sdf spawns. */
const FAMILY_SHAPES: Record<string, Shape> = {
  box: { kind: 'box', size: [0.08, 0.06, 0.04] },
  cylinder: { kind: 'cylinder', radius: 0.03, length: 0.08 },
  sphere: { kind: 'sphere', radius: 0.03 },
  capsule: { kind: 'capsule', radius: 0.02, length: 0.09 },
  l_block: { kind: 'l_block', length: 0.09, legLength: 0.07, width: 0.03, thickness: 0.03 },
};
/** makeObject's density (kg/m³). */
const DENSITY = 600;

let checker: ReturnType<typeof buildSdfChecker> | undefined;
let world: NonNullable<SdfReport['world']>;
let report: SdfReport;

beforeAll(() => {
  checker = buildSdfChecker();
  const r = checkSdf(checker.binary, WORLD);
  if (!r.ok) throw new Error(`SDFormat rejected ${WORLD}:\n${r.errors}`);
  report = r.report;
  world = r.report.world!;
});
afterAll(() => checker?.dispose());

const model = (name: string) => {
  const m = world.models.find((x) => x.name === name);
  if (!m) throw new Error(`no model '${name}' in ${WORLD}`);
  return m;
};
const cameraSensor = () => model('overhead_camera').links[0].sensors[0];

describe('worlds/bin_picking.sdf under SDFormat 12', () => {
  it('is SDF 1.9 with no error; the only element SDFormat 12 does not know is gz_frame_id', () => {
    expect(report.version).toBe('1.9');
    expect(report.gazebo_only_elements).toHaveLength(1);
    expect(report.gazebo_only_elements[0]).toContain('XML Element[gz_frame_id], child of element[sensor]');
    expect(world.name).toBe('bin_picking');
  });

  it('loads the systems a world with sensors needs, rendering with ogre2', () => {
    const plugins = Object.fromEntries(world.plugins.map((p) => [p.name, p]));
    expect(Object.keys(plugins).sort()).toEqual([
      'gz::sim::systems::Physics',
      'gz::sim::systems::SceneBroadcaster',
      'gz::sim::systems::Sensors',
      'gz::sim::systems::UserCommands',
    ]);
    expect(plugins['gz::sim::systems::Physics'].filename).toBe('gz-sim-physics-system');
    expect(plugins['gz::sim::systems::Sensors'].filename).toBe('gz-sim-sensors-system');
    expect(plugins['gz::sim::systems::Sensors'].render_engine).toBe('ogre2');
    expect(plugins['gz::sim::systems::UserCommands'].filename).toBe('gz-sim-user-commands-system');
    expect(plugins['gz::sim::systems::SceneBroadcaster'].filename).toBe('gz-sim-scene-broadcaster-system');
  });

  it("has an rgbd_camera at 640×480 whose field of view gives the sim's D435 focal length", () => {
    const sensor = cameraSensor();
    const sim = createCamera().intrinsics;
    expect(sensor.type).toBe('rgbd_camera');
    expect(sensor.update_rate).toBe(15);
    const cam = sensor.camera!;
    expect([cam.width, cam.height]).toEqual([sim.width, sim.height]);
    expect(cam.format).toBe('RGB_INT8');
    const fx = focalFromFov(cam.width, cam.horizontal_fov);
    // gz-rendering keeps square pixels: fy from the vertical FOV the aspect ratio implies equals fx.
    const vfov = 2 * Math.atan(Math.tan(cam.horizontal_fov / 2) / (cam.width / cam.height));
    const fy = cam.height / 2 / Math.tan(vfov / 2);
    expect(Math.abs(fx - sim.fx)).toBeLessThan(0.5);
    expect(Math.abs(fy - sim.fy)).toBeLessThan(0.5);
  });

  it('clips depth where the D435 does, and sees the whole table inside the clip range', () => {
    const cam = cameraSensor().camera!;
    expect(cam.depth_near).toBeCloseTo(0.1, 9);
    expect(cam.depth_far).toBeCloseTo(3, 9);
    const sim = createCamera();
    const { width: w, height: h } = sim.intrinsics;
    const tableZ = -DEFAULT_BIN.floorThickness;
    const eye = sim.worldFromCamera.translation;
    // Optical depth of the table at the image corners: the farthest surface in view.
    const corners = [
      [0, 0],
      [w - 1, 0],
      [0, h - 1],
      [w - 1, h - 1],
    ].map(([u, v]) => {
      const d = pixelDirection(sim, u, v);
      const t = (tableZ - eye.z) / d.z;
      const axis = sim.worldFromCamera.rotation; // row-major; column 2 is the optical axis
      return t * (d.x * axis[2] + d.y * axis[5] + d.z * axis[8]);
    });
    expect(Math.max(...corners)).toBeLessThan(cam.depth_far!);
    expect(Math.max(...corners)).toBeGreaterThan(0.7);
    // The highest surface possible: a 12 cm object on the bin floor.
    expect(eye.z - 0.12).toBeGreaterThan(cam.depth_near!);
  });

  it("puts the camera at the sim's default pose, and the launch's static TF where SDFormat does", () => {
    const sensor = cameraSensor();
    const frames = launchCameraFrames();
    // The launch reads the same sensor: same frame name and gz topic.
    expect(sensor.gz_frame_id).toBe(frames.optical_frame);
    expect(sensor.topic).toBe(frames.gz_topic);
    expect(frames.camera_frame).toBe(model('overhead_camera').links[0].name);
    // world -> camera link: the sensor's world pose as SDFormat resolves it.
    const [worldToLink] = frames.transforms;
    for (let i = 0; i < 3; i++) expect(worldToLink.translation[i]).toBeCloseTo(sensor.pose.position[i], 9);
    const q = worldToLink.rotation_xyzw;
    const sdfQ = sensor.pose.quaternion_xyzw;
    const dot = Math.abs(q.reduce((s, v, i) => s + v * sdfQ[i], 0));
    expect(dot).toBeGreaterThan(1 - 1e-12);
    // world -> optical frame: the simulator's default camera (eye, look-at, image up = +y).
    const optical = worldFromOptical(frames);
    const sim = createCamera().worldFromCamera;
    expect(optical.translation.x).toBeCloseTo(DEFAULT_LOOK_AT.eye.x, 9);
    expect(optical.translation.y).toBeCloseTo(DEFAULT_LOOK_AT.eye.y, 9);
    expect(optical.translation.z).toBeCloseTo(DEFAULT_LOOK_AT.eye.z, 9);
    const r = quaternionToMatrix(optical.rotation);
    for (let i = 0; i < 9; i++) expect(Math.abs(r[i] - sim.rotation[i])).toBeLessThan(1e-6);
  });

  it("has the sim's bin: floor slab top at z = 0 and four walls, as binBoxes(DEFAULT_BIN)", () => {
    const bin = model('bin');
    expect(bin.static).toBe(true);
    const collisions = bin.links[0].collisions;
    const expected = binBoxes(DEFAULT_BIN);
    expect(collisions).toHaveLength(expected.length);
    collisions.forEach((c, i) => {
      const box = expected[i];
      expect(c.geometry.type).toBe('box');
      const size = (c.geometry as { size: number[] }).size;
      for (let k = 0; k < 3; k++) expect(size[k]).toBeCloseTo(2 * box.half[k], 9);
      expect(c.pose.position[0]).toBeCloseTo(box.center.x, 9);
      expect(c.pose.position[1]).toBeCloseTo(box.center.y, 9);
      expect(c.pose.position[2]).toBeCloseTo(box.center.z, 9);
    });
    const floor = collisions[0];
    const floorSize = (floor.geometry as { size: number[] }).size;
    expect(floor.pose.position[2] + floorSize[2] / 2).toBeCloseTo(0, 12);
    // Inner width between the walls and wall height above the floor.
    const px = collisions[1];
    const wallThickness = (px.geometry as { size: number[] }).size[0];
    expect(2 * (px.pose.position[0] - wallThickness / 2)).toBeCloseTo(DEFAULT_BIN.innerSize[0], 9);
    const py = collisions[3];
    expect(2 * (py.pose.position[1] - wallThickness / 2)).toBeCloseTo(DEFAULT_BIN.innerSize[1], 9);
    const wallTop = px.pose.position[2] + (px.geometry as { size: number[] }).size[2] / 2;
    expect(wallTop).toBeCloseTo(DEFAULT_BIN.wallHeight, 9);
  });

  it("has the sim's table: its top is the bin's underside", () => {
    const table = model('table');
    expect(table.static).toBe(true);
    const top = table.links[0].collisions.find((c) => c.name === 'top_collision')!;
    const size = (top.geometry as { size: number[] }).size;
    expect(top.pose.position[2] + size[2] / 2).toBeCloseTo(-DEFAULT_BIN.floorThickness, 12);
    expect(Math.min(size[0], size[1])).toBeGreaterThan(
      Math.max(...DEFAULT_BIN.innerSize) + 2 * DEFAULT_BIN.wallThickness,
    );
    expect(model('overhead_camera').static).toBe(true);
  });

  it('rejects a misspelt element instead of dropping it (the checker is strict)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-sdf-'));
    const typo = path.join(dir, 'typo.sdf');
    fs.writeFileSync(typo, fs.readFileSync(WORLD, 'utf8').replaceAll('horizontal_fov>', 'horizontal_fvo>'));
    const r = checkSdf(checker!.binary, typo);
    fs.rmSync(dir, { recursive: true, force: true });
    expect(r.ok).toBe(false);
    expect(r.ok ? '' : r.errors).toContain('XML Element[horizontal_fvo]');
  });
});

/** Inertia tensor of one primitive about the body origin (centre of mass), density DENSITY. */
function partInertia(part: ShapePart): { m: number; I: number[] } {
  const [a, b] = part.params;
  const m = DENSITY * part.volume;
  let d: [number, number, number];
  switch (part.kind) {
    case PrimitiveKind.Box: {
      const [x, y, z] = part.params;
      d = [(m * (y * y + z * z)) / 3, (m * (x * x + z * z)) / 3, (m * (x * x + y * y)) / 3];
      break;
    }
    case PrimitiveKind.Cylinder:
      d = [(m * (3 * a * a + 4 * b * b)) / 12, (m * (3 * a * a + 4 * b * b)) / 12, (m * a * a) / 2];
      break;
    case PrimitiveKind.Sphere:
      d = [0.4 * m * a * a, 0.4 * m * a * a, 0.4 * m * a * a];
      break;
    case PrimitiveKind.Capsule: {
      const L = 2 * b;
      const mc = DENSITY * Math.PI * a * a * L;
      const mh = (DENSITY * 2 * Math.PI * a ** 3) / 3;
      const ixx =
        mc * ((L * L) / 12 + (a * a) / 4) + 2 * mh * ((2 * a * a) / 5 + (L * L) / 4 + (3 * L * a) / 8);
      d = [ixx, ixx, (mc * a * a) / 2 + (2 * mh * 2 * a * a) / 5];
      break;
    }
    default:
      throw new Error('the Gazebo models are the five analytic families; meshes have no SDF here');
  }
  const { x, y, z } = part.offset;
  // Parallel axis: I + m (|r|² E − r rᵀ); [ixx, iyy, izz, ixy, ixz, iyz] as SDF lists them.
  return {
    m,
    I: [
      d[0] + m * (y * y + z * z),
      d[1] + m * (x * x + z * z),
      d[2] + m * (x * x + y * y),
      -m * x * y,
      -m * x * z,
      -m * y * z,
    ],
  };
}

function expectGeometry(c: SdfLink['collisions'][number], part: ShapePart): void {
  const g = c.geometry;
  const [p0, p1, p2] = part.params;
  switch (part.kind) {
    case PrimitiveKind.Box:
      expect(g.type).toBe('box');
      expect((g as { size: number[] }).size.map((s) => +s.toFixed(9))).toEqual(
        [2 * p0, 2 * p1, 2 * p2].map((s) => +s.toFixed(9)),
      );
      break;
    case PrimitiveKind.Cylinder:
    case PrimitiveKind.Capsule: {
      expect(g.type).toBe(part.kind === PrimitiveKind.Cylinder ? 'cylinder' : 'capsule');
      // SDF's capsule <length> is the cylindrical part, like the sim's segment.
      const { radius, length } = g as { radius: number; length: number };
      expect(radius).toBeCloseTo(p0, 9);
      expect(length).toBeCloseTo(2 * p1, 9);
      break;
    }
    case PrimitiveKind.Sphere:
      expect(g.type).toBe('sphere');
      expect((g as { radius: number }).radius).toBeCloseTo(p0, 9);
      break;
  }
  expect(Math.abs(c.pose.position[0] - part.offset.x)).toBeLessThan(1e-6);
  expect(Math.abs(c.pose.position[1] - part.offset.y)).toBeLessThan(1e-6);
  expect(Math.abs(c.pose.position[2] - part.offset.z)).toBeLessThan(1e-6);
}

describe('worlds/models: one spawnable model per sim object family', () => {
  it('has a model for every family of src/sim, and nothing else', () => {
    const dirs = fs
      .readdirSync(MODELS_DIR)
      .filter((d) => fs.existsSync(path.join(MODELS_DIR, d, 'model.sdf')));
    expect(dirs.sort()).toEqual(Object.keys(FAMILY_SHAPES).sort());
  });

  it.each(Object.entries(FAMILY_SHAPES))(
    '%s: parses, body origin at the centre of mass, geometry, mass and inertia of the sim shape',
    (family, shape) => {
      const r = checkSdf(checker!.binary, path.join(MODELS_DIR, family, 'model.sdf'));
      if (!r.ok) throw new Error(`SDFormat rejected ${family}/model.sdf:\n${r.errors}`);
      const m = r.report.model!;
      expect(m.name).toBe(family);
      expect(m.static).toBe(false);
      expect(m.links).toHaveLength(1);
      const link = m.links[0];
      const parts = shapeParts(shape);
      expect(link.collisions).toHaveLength(parts.length);
      link.collisions.forEach((c, i) => expectGeometry(c, parts[i]));
      expect(link.mass / (DENSITY * shapeVolume(shape))).toBeCloseTo(1, 4);
      const expected = parts
        .map(partInertia)
        .reduce((acc, p) => acc.map((v, i) => v + p.I[i]), [0, 0, 0, 0, 0, 0]);
      const got = [
        link.inertia.ixx,
        link.inertia.iyy,
        link.inertia.izz,
        link.inertia.ixy,
        link.inertia.ixz,
        link.inertia.iyz,
      ];
      const scale = Math.max(...expected.map(Math.abs));
      got.forEach((v, i) => expect(Math.abs(v - expected[i]) / scale).toBeLessThan(1e-4));
    },
  );
});

describe('the SDF checker without SDFormat', () => {
  it('fails with the apt package to install, not a skip', () => {
    const saved = process.env.PKG_CONFIG_LIBDIR;
    process.env.PKG_CONFIG_LIBDIR = path.join(os.tmpdir(), 'gp-no-pkgconfig-here');
    try {
      expect(() => buildSdfChecker()).toThrow(`apt-get install -y ${SDFORMAT_APT_PACKAGE}`);
    } finally {
      if (saved === undefined) delete process.env.PKG_CONFIG_LIBDIR;
      else process.env.PKG_CONFIG_LIBDIR = saved;
    }
  });
});
