import {
  createCamera,
  DEFAULT_LOOK_AT,
  deprojectPixel,
  emptyScene,
  makeObject,
  projectPoint,
  quatFromRpy,
  renderDepth,
  type Shape,
} from '../../src/sim';
import { buildPrimitives, HIT_TABLE, RayCaster } from '../../src/sim/raycast';

describe('camera', () => {
  it('defaults to D435-like intrinsics, centred, ~0.7 m above the bin with a small tilt', () => {
    const camera = createCamera();
    expect(camera.intrinsics).toEqual({ width: 640, height: 480, fx: 615, fy: 615, cx: 319.5, cy: 239.5 });
    expect(createCamera({ width: 320, height: 240 }).intrinsics).toMatchObject({
      fx: 307.5,
      fy: 307.5,
      cx: 159.5,
    });
    expect(camera.worldFromCamera.translation.z).toBeCloseTo(0.7, 9);
    // Optical axis through the image centre hits the look-at target.
    const centre = projectPoint(camera, DEFAULT_LOOK_AT.target);
    expect(centre.u).toBeCloseTo(319.5, 9);
    expect(centre.v).toBeCloseTo(239.5, 9);
    const r = camera.worldFromCamera.rotation;
    const tilt = Math.acos(-r[8]); // optical z against straight down
    expect(tilt).toBeGreaterThan(0.05);
    expect(tilt).toBeLessThan(0.3);
    // World +x is image right, world +y is image up.
    expect(projectPoint(camera, { x: 0.1, y: 0, z: 0 }).u).toBeGreaterThan(centre.u);
    expect(projectPoint(camera, { x: 0, y: 0.1, z: 0 }).v).toBeLessThan(centre.v);
  });

  it('cameraFromWorld inverts worldFromCamera, and deprojection inverts projection', () => {
    const camera = createCamera({
      lookAt: { eye: { x: 0.1, y: -0.2, z: 0.6 }, target: { x: 0.02, y: 0.03, z: 0 } },
    });
    const p = { x: 0.05, y: -0.04, z: 0.03 };
    const { u, v, depth } = projectPoint(camera, p);
    const back = deprojectPixel(camera, u, v, depth);
    expect(Math.hypot(back.x - p.x, back.y - p.y, back.z - p.z)).toBeLessThan(1e-12);
    const posed = createCamera({ pose: camera.pose });
    expect(projectPoint(posed, p).u).toBeCloseTo(u, 9);
  });
});

describe('ray casting against the exact primitives', () => {
  const down = (
    shape: Shape,
    position = { x: 0, y: 0, z: 0.05 },
    rpy: [number, number, number] = [0, 0, 0],
  ) => {
    const scene = {
      ...emptyScene(),
      objects: [makeObject(1, shape, position, { orientation: quatFromRpy(...rpy) })],
    };
    const caster = new RayCaster(buildPrimitives(scene));
    return (x: number, y: number) => {
      const hit = caster.cast(x, y, 1, 0, 0, -1, 10, null, 0);
      return { hit, z: 1 - caster.last.t };
    };
  };

  it('boxes, spheres, cylinders and capsules are hit where their surfaces are', () => {
    expect(down({ kind: 'box', size: [0.06, 0.04, 0.1] })(0.029, 0.019).z).toBeCloseTo(0.1, 12);
    expect(down({ kind: 'box', size: [0.06, 0.04, 0.1] })(0.031, 0).hit).toBe(0); // the bin floor
    expect(down({ kind: 'sphere', radius: 0.05 })(0.03, 0).z).toBeCloseTo(0.05 + 0.04, 12);
    // A cylinder lying along y (roll 90°): its top is a ridge at x = 0.
    const log = down({ kind: 'cylinder', radius: 0.05, length: 0.08 }, undefined, [Math.PI / 2, 0, 0]);
    expect(log(0.03, 0.039).z).toBeCloseTo(0.05 + 0.04, 12);
    expect(log(0.03, 0.041).hit).toBe(0);
    const upright = down({ kind: 'cylinder', radius: 0.05, length: 0.08 });
    expect(upright(0.049, 0).z).toBeCloseTo(0.09, 12);
    // Capsule standing up: hemispherical cap on top of the segment.
    const capsule = down({ kind: 'capsule', radius: 0.02, length: 0.1 });
    expect(capsule(0, 0).z).toBeCloseTo(0.1, 12);
    expect(capsule(0.012, 0).z).toBeCloseTo(0.08 + 0.016, 12);
    // L-block: the hole of the L is empty.
    const l = down(
      { kind: 'l_block', length: 0.1, legLength: 0.1, width: 0.03, thickness: 0.03 },
      { x: 0, y: 0, z: 0.015 },
    );
    expect(l(0.01, 0.01).hit).toBe(0);
    expect(l(-0.03, -0.03).z).toBeCloseTo(0.03, 12);
  });

  it('a ray that starts inside a solid hits it at 0; rays past the bin reach the table', () => {
    const scene = {
      ...emptyScene(),
      objects: [makeObject(1, { kind: 'sphere', radius: 0.05 }, { x: 0, y: 0, z: 0.05 })],
    };
    const caster = new RayCaster(buildPrimitives(scene));
    expect(caster.cast(0, 0, 0.05, 1, 0, 0, 10, null, 0)).toBe(5);
    expect(caster.last.t).toBe(0);
    expect(caster.cast(0.5, 0.5, 1, 0, 0, -1, 10, null, 0)).toBe(HIT_TABLE);
    expect(caster.last.t).toBeCloseTo(1 + scene.bin.floorThickness, 12);
  });

  it('renders exact optical depth of the bin floor', () => {
    const camera = createCamera({ width: 64, height: 48 });
    const depth = renderDepth(emptyScene(), camera);
    const pixel = 24 * 64 + 32;
    const p = deprojectPixel(camera, 32, 24, depth[pixel]);
    expect(Math.abs(p.z)).toBeLessThan(1e-6);
  });
});
