import {
  fitSupportPlane,
  heightAbovePlane,
  heightOfPoint,
  type PinholeIntrinsics,
  type SupportPlane,
} from '../../src/geometry';
import { createCamera, emptyScene, makeObject, projectPoint, renderDepth } from '../../src/sim';

const W = 320;
const H = 240;
const K: PinholeIntrinsics = { fx: 307.5, fy: 307.5, cx: 159.5, cy: 119.5 };

/** Seeded normal noise (Box–Muller on mulberry32). */
function noise(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Depth of an infinite plane seen by a camera `height` above it and pitched `tiltDeg` (the plane's
 * normal is (0, −sin t, −cos t) in the optical frame), plus a raised square patch `patch` m above it
 * and 1 mm Gaussian noise.
 */
function planeDepth(height: number, tiltDeg: number, patch: number): Float32Array {
  const t = (tiltDeg * Math.PI) / 180;
  const n = [0, -Math.sin(t), -Math.cos(t)];
  const rnd = noise(Math.round(height * 1000 + tiltDeg));
  const out = new Float32Array(W * H);
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      const r = [(u - K.cx) / K.fx, (v - K.cy) / K.fy, 1];
      const nr = n[0] * r[0] + n[1] * r[1] + n[2] * r[2];
      // Height of a point z·r is z·nr + height; the plane (or the patch top) at h: z = (h − height) / nr.
      const inPatch = Math.abs(u - W / 2) < 30 && Math.abs(v - H / 2) < 30;
      const z = ((inPatch ? patch : 0) - height) / nr;
      out[v * W + u] = z > 0 ? z + 0.001 * rnd() : NaN;
    }
  }
  return out;
}

describe('fitSupportPlane on a plane with a raised patch', () => {
  for (const height of [0.4, 0.7, 1.5]) {
    for (const tilt of [0, 20, 35]) {
      test(`camera ${height} m above, tilted ${tilt}°: heights within 2 mm`, () => {
        const depth = planeDepth(height, tilt, 0.05);
        const plane = fitSupportPlane(depth, W, H, K)!;
        expect(plane).not.toBeNull();
        expect(plane.offset).toBeCloseTo(height, 2);
        expect(Math.abs(plane.tiltDeg - tilt)).toBeLessThan(1);
        expect(plane.inlierFraction).toBeGreaterThan(0.8);
        const h = heightAbovePlane(depth, W, H, K, plane);
        // The patch centre and a floor pixel, averaged over 5x5 to see the bias, not the noise.
        const mean = (u0: number, v0: number) => {
          let s = 0;
          for (let v = v0 - 2; v <= v0 + 2; v++) for (let u = u0 - 2; u <= u0 + 2; u++) s += h[v * W + u];
          return s / 25;
        };
        expect(Math.abs(mean(W / 2, H / 2) - 0.05)).toBeLessThan(0.002);
        expect(Math.abs(mean(40, H / 2))).toBeLessThan(0.002);
      });
    }
  }

  test('is deterministic, marks invalid depth NaN and rejects too little depth', () => {
    const depth = planeDepth(0.7, 20, 0.05);
    depth[5] = NaN;
    depth[6] = 0;
    const a = fitSupportPlane(depth, W, H, K)!;
    const b = fitSupportPlane(depth, W, H, K)!;
    expect(a).toEqual(b);
    const h = heightAbovePlane(depth, W, H, K, a);
    expect(h[5]).toBeNaN();
    expect(h[6]).toBeNaN();
    expect(fitSupportPlane(new Float32Array(W * H).fill(NaN), W, H, K)).toBeNull();
    expect(() => fitSupportPlane(depth, W + 1, H, K)).toThrow(/needs/);
  });

  test('prefers the floor under a large box lid (nothing lies below a support)', () => {
    // A lid 8 cm up covering ~60 % of the view; the floor shows around it.
    const t = (25 * Math.PI) / 180;
    const n = [0, -Math.sin(t), -Math.cos(t)];
    const depth = new Float32Array(W * H);
    for (let v = 0; v < H; v++) {
      for (let u = 0; u < W; u++) {
        const r = [(u - K.cx) / K.fx, (v - K.cy) / K.fy, 1];
        const nr = n[0] * r[0] + n[1] * r[1] + n[2] * r[2];
        const lid = Math.abs(u - W / 2) < 125 && Math.abs(v - H / 2) < 90;
        depth[v * W + u] = ((lid ? 0.08 : 0) - 0.7) / nr;
      }
    }
    const plane = fitSupportPlane(depth, W, H, K)!;
    expect(plane.offset).toBeCloseTo(0.7, 2);
  });
});

describe('fitSupportPlane on a simulated bin', () => {
  const box = { size: [0.08, 0.06, 0.05] as [number, number, number] };
  const cases: { height: number; tilt: number }[] = [
    { height: 0.4, tilt: 35 },
    { height: 0.7, tilt: 10 },
    { height: 1.0, tilt: 35 },
    { height: 1.5, tilt: 20 },
  ];
  for (const { height, tilt } of cases) {
    test(`camera ${height} m above the floor, tilted ${tilt}°: the floor, not a wall; the box top at its height`, () => {
      const scene = emptyScene(1);
      scene.objects.push(makeObject(1, { kind: 'box', size: box.size }, { x: 0.05, y: 0.03, z: 0.025 }));
      const t = (tilt * Math.PI) / 180;
      // Looking at the bin centre from `height` above the floor, pitched by `tilt`.
      const camera = createCamera({
        width: W,
        height: H,
        lookAt: {
          eye: { x: 0, y: -height * Math.tan(t), z: height },
          target: { x: 0, y: 0, z: 0 },
          up: { x: 0, y: 1, z: 0 },
        },
      });
      const depth = renderDepth(scene, camera);
      const k = camera.intrinsics;
      const plane: SupportPlane = fitSupportPlane(depth, W, H, k)!;
      expect(plane).not.toBeNull();
      // The world's up (the floor normal) in the optical frame: R_cw's third column.
      const R = camera.cameraFromWorld.rotation;
      const up = { x: R[2], y: R[5], z: R[8] };
      const cos = plane.normal.x * up.x + plane.normal.y * up.y + plane.normal.z * up.z;
      expect(cos).toBeGreaterThan(Math.cos((1 * Math.PI) / 180));
      expect(plane.offset).toBeCloseTo(height, 2);
      // The box top's centre pixel is 5 cm up (2 mm), a floor pixel 0.
      const top = projectPoint(camera, { x: 0.05, y: 0.03, z: 0.05 });
      const floor = projectPoint(camera, { x: -0.12, y: -0.1, z: 0 });
      const h = heightAbovePlane(depth, W, H, k, plane);
      const at = (p: { u: number; v: number }) => h[Math.round(p.v) * W + Math.round(p.u)];
      expect(Math.abs(at(top) - 0.05)).toBeLessThan(0.002);
      expect(Math.abs(at(floor))).toBeLessThan(0.002);
      // heightOfPoint agrees with the image function on the back-projected point.
      const u = Math.round(top.u);
      const v = Math.round(top.v);
      const z = depth[v * W + u];
      const p = { x: ((u - k.cx) * z) / k.fx, y: ((v - k.cy) * z) / k.fy, z };
      expect(heightOfPoint(plane, p)).toBeCloseTo(h[v * W + u], 5);
    });
  }
});
