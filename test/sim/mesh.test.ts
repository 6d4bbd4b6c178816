// Mesh import: OBJ and STL files become objects that render and behave like the primitive they
// describe, and bad files fail with one error naming the file and the problem.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  classIdOf,
  DEFAULT_BIN,
  initPhysics,
  loadMeshShape,
  makeObject,
  renderFrame,
  type SceneObject,
  type Shape,
} from '../../src/sim';
import { PhysicsWorld } from '../../src/sim/physics';
import { quatFromRpy } from '../../src/sim/math';
import { camera320, sceneWith } from './helpers';

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'meshes');
const fixture = (name: string): string => path.join(FIXTURES, name);
const CUBE: Shape = { kind: 'box', size: [0.05, 0.05, 0.05] };

beforeAll(() => initPhysics());

/** Settles one object dropped from `z` at a tilt onto the bin floor; its final pose. */
function settle(shape: Shape, mass: number) {
  const world = new PhysicsWorld(DEFAULT_BIN);
  const obj = makeObject(
    1,
    shape,
    { x: 0.03, y: -0.02, z: 0.08 },
    {
      mass,
      orientation: quatFromRpy(0.3, 0.2, 0.5),
    },
  );
  world.addObject(obj);
  world.settle();
  const pose = world.pose(1);
  world.free();
  return pose;
}

describe('mesh import', () => {
  it.each(['cube.obj', 'cube-ascii.stl', 'cube-binary.stl'])(
    '%s: a closed 5 cm cube of volume 1.25e-4 m³, centred on its centre of mass',
    (file) => {
      const shape = loadMeshShape(fixture(file));
      expect(shape.family).toBe('custom');
      expect(shape.mesh.volume).toBeCloseTo(1.25e-4, 9);
      expect(shape.mesh.convex).toBe(true);
      expect(shape.mesh.indices.length).toBe(36);
      const xs = Array.from(shape.mesh.positions);
      expect(Math.max(...xs)).toBeCloseTo(0.025, 6);
      expect(Math.min(...xs)).toBeCloseTo(-0.025, 6);
    },
  );

  it('scale: a cube in millimetres with scale 0.001 equals the one in metres; mass is carried', () => {
    const mm = loadMeshShape(fixture('cube-mm.stl'), { scale: 0.001, mass: 0.2 });
    expect(mm.mesh.volume).toBeCloseTo(1.25e-4, 9);
    expect(mm.mass).toBe(0.2);
    expect(() => loadMeshShape(fixture('cube-mm.stl'))).toThrow(
      `mesh file '${fixture('cube-mm.stl')}': 50.000 m across after scale 1: wrong units?`,
    );
  });

  it('a mesh cube renders like the primitive cube: depth within 1 mm, same masks and class', () => {
    const pose = { orientation: quatFromRpy(0.2, -0.1, 0.7) };
    const at = { x: 0.02, y: -0.03, z: 0.04 };
    const mesh = renderFrame(
      sceneWith(makeObject(1, loadMeshShape(fixture('cube.obj')), at, pose)),
      camera320,
      {
        suction: false,
      },
    );
    const box = renderFrame(sceneWith(makeObject(1, CUBE, at, pose)), camera320, { suction: false });
    let worst = 0;
    let differ = 0;
    for (let i = 0; i < box.depthExact.length; i++) {
      if ((box.instance[i] === 1) !== (mesh.instance[i] === 1)) differ++;
      else worst = Math.max(worst, Math.abs(box.depthExact[i] - mesh.depthExact[i]));
    }
    expect(worst).toBeLessThan(0.001);
    expect(differ).toBeLessThanOrEqual(2); // pixel centres exactly on an edge may fall either way
    expect(mesh.objects[0].visibleArea).toBeGreaterThan(400);
    expect(Math.abs(mesh.objects[0].visibleArea - box.objects[0].visibleArea)).toBeLessThanOrEqual(2);
    expect(mesh.objects[0].classId).toBe(classIdOf('custom'));
    expect(mesh.objects[0].centerOfMassPixel.u).toBeCloseTo(box.objects[0].centerOfMassPixel.u, 6);
  });

  it('a mesh cube settles like the primitive cube: same resting pose within 1 mm and 1°', () => {
    const box = settle(CUBE, 0.1);
    const mesh = settle(loadMeshShape(fixture('cube-binary.stl')), 0.1);
    // At rest on a face: the centre 2.5 cm above the floor.
    expect(box.position.z).toBeCloseTo(0.025, 2);
    expect(Math.abs(mesh.position.z - box.position.z)).toBeLessThan(0.001);
    expect(Math.hypot(mesh.position.x - box.position.x, mesh.position.y - box.position.y)).toBeLessThan(
      0.001,
    );
    const q1 = box.orientation;
    const q2 = mesh.orientation;
    const dot = Math.abs(q1.x * q2.x + q1.y * q2.y + q1.z * q2.z + q1.w * q2.w);
    expect(2 * Math.acos(Math.min(1, dot))).toBeLessThan((1 * Math.PI) / 180);
  });

  it('a non-convex part (L, millimetres) collides as its convex decomposition and rests flat', () => {
    const shape = loadMeshShape(fixture('l-part-mm.obj'), { scale: 0.001 });
    expect(shape.mesh.convex).toBe(false);
    expect(shape.mesh.pieces).toBeNull();
    expect(shape.mesh.volume).toBeCloseTo((80 * 20 + 20 * 40) * 15 * 1e-9, 9);
    const world = new PhysicsWorld(DEFAULT_BIN);
    // Two parts of the same mesh (its decomposition is computed once and shared).
    const objects: SceneObject[] = [
      makeObject(1, shape, { x: -0.08, y: 0, z: 0.03 }, { mass: 0.05 }),
      makeObject(2, shape, { x: 0.08, y: 0, z: 0.03 }, { mass: 0.05 }),
    ];
    for (const obj of objects) world.addObject(obj);
    world.settle();
    const poses = [world.pose(1), world.pose(2)];
    world.free();
    // Lying on one of its 15 mm faces (flat, as dropped): centre of mass 7.5 mm above the floor.
    for (const pose of poses) {
      expect(pose.position.z).toBeGreaterThan(0.0075 - 0.0015);
      expect(pose.position.z).toBeLessThan(0.0075 + 0.0015);
    }
  });

  it.each([
    ['missing.obj', 'missing (no such file)'],
    ['empty.obj', 'empty: no triangles'],
    ['open-cube.obj', 'non-manifold: open edge'],
    ['shared-edge.obj', 'non-manifold: edge'],
    ['broken.obj', "line 2: expected three numbers after 'v'"],
  ])('%s: one error naming the file and the problem (%s)', (file, problem) => {
    expect(() => loadMeshShape(fixture(file))).toThrow(`mesh file '${fixture(file)}': ${problem}`);
  });

  it('an unknown extension, a non-STL .stl and a 0-byte file are refused by name', () => {
    expect(() => loadMeshShape(fixture('generate.py'))).toThrow("unknown mesh format '.py'");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mesh-'));
    const garbage = path.join(dir, 'part.stl');
    fs.writeFileSync(
      garbage,
      'not a mesh at all, but long enough to have a header of eighty bytes or more....',
    );
    expect(() => loadMeshShape(garbage)).toThrow(`mesh file '${garbage}': not an STL file`);
    const zero = path.join(dir, 'zero.obj');
    fs.writeFileSync(zero, '');
    expect(() => loadMeshShape(zero)).toThrow(`mesh file '${zero}': empty (0 bytes)`);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
