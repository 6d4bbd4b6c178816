import { classIdOf, projectPoint, renderFrame, SEMANTIC_CLASSES, type SimFrame } from '../../src/sim';
import { box, camera320, object, pixelOf, sceneWith } from './helpers';

const amodalCount = (f: SimFrame, k: number) => f.objects[k].amodalMask?.data.reduce((a, b) => a + b, 0) ?? 0;

describe('ground truth from geometry', () => {
  it('a lone box seen from above: occlusion 0, visible mask identical to the amodal mask', () => {
    const frame = renderFrame(sceneWith(box(1, [0.08, 0.06, 0.04], 0.02, -0.03)), camera320, {
      suction: false,
    });
    const [label] = frame.objects;
    expect(label.amodalArea).toBeGreaterThan(500);
    expect(label.visibleArea).toBe(label.amodalArea);
    expect(label.occlusion).toBe(0);
    expect(label.occluded).toBe(false);
    expect(label.visibleBox).toEqual(label.amodalBox);
    expect(Buffer.from(label.visibleMask!.data).equals(Buffer.from(label.amodalMask!.data))).toBe(true);
    expect(amodalCount(frame, 0)).toBe(label.amodalArea);
  });

  it('a box half covered by another has occlusion 0.5 ± 0.05 and is flagged occluded', () => {
    // The cover spans the box's x < 0 half and overhangs in y; the camera sits in the x = 0 plane,
    // so exactly half of the lower box's silhouette is hidden.
    const lower = box(1, [0.1, 0.1, 0.03], 0, 0);
    const cover = box(2, [0.05, 0.14, 0.02], -0.025, 0, 0.03);
    const frame = renderFrame(sceneWith(lower, cover), camera320, { suction: false });
    const label = frame.objects.find((o) => o.id === 1)!;
    expect(label.occlusion).toBeGreaterThan(0.45);
    expect(label.occlusion).toBeLessThan(0.55);
    expect(label.occluded).toBe(true);
    expect(frame.objects.find((o) => o.id === 2)!.occlusion).toBe(0);
    // Visible pixels are a subset of the amodal mask (same crop).
    const { visibleMask, amodalMask } = label;
    visibleMask!.data.forEach((v, i) => expect(v <= amodalMask!.data[i]).toBe(true));
  });

  it('the occluded flag follows the configured threshold', () => {
    const scene = sceneWith(box(1, [0.1, 0.1, 0.03], 0, 0), box(2, [0.05, 0.14, 0.02], -0.025, 0, 0.03));
    const frame = renderFrame(scene, camera320, { suction: false, occlusionThreshold: 0.6 });
    expect(frame.objects[0].occluded).toBe(false);
  });

  it("the centre-of-mass pixel of convex objects lies inside each object's amodal mask", () => {
    const scene = sceneWith(
      box(1, [0.05, 0.09, 0.04], -0.12, 0.1),
      object(2, { kind: 'sphere', radius: 0.03 }, { x: 0.1, y: 0.1, z: 0.03 }),
      object(3, { kind: 'cylinder', radius: 0.025, length: 0.1 }, { x: -0.1, y: -0.1, z: 0.05 }),
      object(4, { kind: 'capsule', radius: 0.02, length: 0.1 }, { x: 0.12, y: -0.1, z: 0.05 }),
      box(5, [0.03, 0.03, 0.03], 0.12, -0.1, 0.1), // floating above the capsule: hides part of it
    );
    const frame = renderFrame(scene, camera320, { suction: false });
    for (const label of frame.objects) {
      const mask = label.amodalMask!;
      const u = Math.round(label.centerOfMassPixel.u);
      const v = Math.round(label.centerOfMassPixel.v);
      expect(u - mask.x).toBeGreaterThanOrEqual(0);
      expect(v - mask.y).toBeGreaterThanOrEqual(0);
      expect(mask.data[(v - mask.y) * mask.width + (u - mask.x)]).toBe(1);
    }
  });

  it('reports the centre of mass in the camera frame and the pose in both frames', () => {
    const frame = renderFrame(sceneWith(box(1, [0.05, 0.05, 0.05], 0.05, 0.02)), camera320, {
      suction: false,
    });
    const label = frame.objects[0];
    const projected = projectPoint(camera320, label.centerOfMassWorld);
    const c = label.centerOfMassCamera;
    expect(c.z).toBeCloseTo(projected.depth, 9);
    expect((camera320.intrinsics.fx * c.x) / c.z + camera320.intrinsics.cx).toBeCloseTo(projected.u, 9);
    expect(label.poseCamera.position).toEqual(c);
    expect(label.poseWorld.position).toEqual({ x: 0.05, y: 0.02, z: 0.025 });
  });

  it('depth is the exact optical depth of the surface', () => {
    const frame = renderFrame(sceneWith(box(1, [0.06, 0.06, 0.05], 0, 0)), camera320, { suction: false });
    const top = { x: 0.004, y: 0.006, z: 0.05 };
    const expected = projectPoint(camera320, top);
    // Nearest pixel centre, so compare with the depth of the ray through that pixel's centre.
    const pixel = pixelOf(camera320, top);
    expect(frame.depthExact[pixel]).toBeCloseTo(expected.depth, 3);
    expect(frame.depth).toEqual(frame.depthExact);
  });

  it('labels pixels with semantic classes: shape families, bin and background', () => {
    const scene = sceneWith(
      box(1, [0.05, 0.05, 0.05], -0.1, 0),
      object(2, { kind: 'sphere', radius: 0.03 }, { x: 0.1, y: 0, z: 0.03 }),
      object(
        3,
        { kind: 'l_block', length: 0.1, legLength: 0.08, width: 0.03, thickness: 0.03 },
        { x: 0, y: 0.1, z: 0.015 },
      ),
    );
    const frame = renderFrame(scene, camera320, { suction: false });
    const at = (x: number, y: number, z: number) => frame.semantic[pixelOf(camera320, { x, y, z })];
    expect(at(-0.1, 0, 0.05)).toBe(classIdOf('box'));
    expect(at(0.1, 0, 0.06)).toBe(classIdOf('sphere'));
    expect(at(0, 0, 0)).toBe(SEMANTIC_CLASSES.find((c) => c.name === 'container')!.id);
    expect(frame.semantic[0]).toBe(0); // image corner: the table
    expect(new Set(frame.semantic)).toEqual(new Set([0, 1, 2, 4, 6]));
    expect(frame.instance[pixelOf(camera320, { x: 0.1, y: 0, z: 0.06 })]).toBe(2);
  });
});
