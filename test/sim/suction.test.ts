import { projectPoint, renderFrame, sealScoreAt } from '../../src/sim';
import { box, camera320, mean, object, pixelOf, pixelsOf, sceneWith } from './helpers';

describe('suction heatmap from the seal model', () => {
  it('is high at the centre of a flat top face and 0 off objects', () => {
    const frame = renderFrame(sceneWith(box(1, [0.08, 0.08, 0.04], 0, 0)), camera320);
    const heat = frame.suction!;
    expect(heat[pixelOf(camera320, { x: 0, y: 0, z: 0.04 })]).toBeGreaterThanOrEqual(0.8);
    expect(heat[pixelOf(camera320, { x: 0.15, y: 0.15, z: 0 })]).toBe(0); // bin floor
    expect(Math.max(...heat)).toBeLessThanOrEqual(1);
    expect(Math.min(...heat)).toBeGreaterThanOrEqual(0);
  });

  it("is near 0 on a sphere's rim", () => {
    const r = 0.035;
    const centre = { x: 0, y: 0, z: r };
    const frame = renderFrame(sceneWith(object(1, { kind: 'sphere', radius: r }, centre)), camera320);
    const c = projectPoint(camera320, centre);
    const pixels = pixelsOf(frame, 1);
    const { width } = camera320.intrinsics;
    const distance = (p: number) => Math.hypot((p % width) - c.u, Math.floor(p / width) - c.v);
    const radius = Math.max(...pixels.map(distance));
    const rim = pixels.filter((p) => distance(p) > 0.85 * radius);
    const middle = pixels.filter((p) => distance(p) < 0.3 * radius);
    expect(rim.length).toBeGreaterThan(20);
    expect(mean(rim.map((p) => frame.suction![p]))).toBeLessThan(0.1);
    expect(mean(middle.map((p) => frame.suction![p]))).toBeGreaterThan(0.8);
  });

  it('is near 0 on surface covered by another object, and next to it', () => {
    const lower = box(1, [0.1, 0.1, 0.03], 0, 0);
    const cover = box(2, [0.05, 0.14, 0.02], -0.025, 0, 0.03);
    const scene = sceneWith(lower, cover);
    // Under the cover: the cup cannot reach the surface.
    expect(sealScoreAt(scene, 1, { x: -0.025, y: 0, z: 0.03 }, { x: 0, y: 0, z: 1 })).toBe(0);
    // The same point without the cover seals.
    expect(
      sealScoreAt(sceneWith(lower), 1, { x: -0.025, y: 0, z: 0.03 }, { x: 0, y: 0, z: 1 }),
    ).toBeGreaterThan(0.8);
    // Visible surface within a cup radius of the cover: the rim lands on the cover.
    const frame = renderFrame(scene, camera320);
    const beside = [-0.02, 0, 0.02].map((y) => frame.suction![pixelOf(camera320, { x: 0.004, y, z: 0.03 })]);
    expect(Math.max(...beside)).toBeLessThan(0.1);
    // Far enough from the cover and from the edges it seals again.
    expect(frame.suction![pixelOf(camera320, { x: 0.025, y: 0, z: 0.03 })]).toBeGreaterThan(0.8);
  });

  it('is 0 near the edges of a face and on faces beyond the reachable tilt', () => {
    const scene = sceneWith(box(1, [0.08, 0.08, 0.06], 0, 0));
    expect(sealScoreAt(scene, 1, { x: 0.038, y: 0, z: 0.06 }, { x: 0, y: 0, z: 1 })).toBe(0);
    expect(sealScoreAt(scene, 1, { x: 0.04, y: 0, z: 0.03 }, { x: 1, y: 0, z: 0 })).toBe(0);
  });

  it('optionally down-weights pixels far from the centre of mass', () => {
    const scene = sceneWith(box(1, [0.1, 0.06, 0.03], 0, 0));
    const plain = renderFrame(scene, camera320).suction!;
    const weighted = renderFrame(scene, camera320, { seal: { comSigma: 0.02 } }).suction!;
    const centre = pixelOf(camera320, { x: 0, y: 0, z: 0.03 });
    const side = pixelOf(camera320, { x: 0.035, y: 0, z: 0.03 });
    expect(weighted[centre]).toBeCloseTo(plain[centre], 2);
    expect(weighted[side]).toBeLessThan(plain[side] * 0.3);
  });

  it('matches exact per-pixel scoring closely where it interpolates', () => {
    const scene = sceneWith(
      box(1, [0.1, 0.06, 0.03], -0.08, 0),
      object(2, { kind: 'cylinder', radius: 0.03, length: 0.09 }, { x: 0.08, y: 0.05, z: 0.045 }),
    );
    const adaptive = renderFrame(scene, camera320).suction!;
    const exact = renderFrame(scene, camera320, { suctionStride: 1, suctionMinStride: 1 }).suction!;
    let error = 0;
    let count = 0;
    exact.forEach((value, i) => {
      if (value > 0 || adaptive[i] > 0) {
        error += Math.abs(value - adaptive[i]);
        count++;
      }
    });
    expect(error / count).toBeLessThan(0.05);
  });
});
