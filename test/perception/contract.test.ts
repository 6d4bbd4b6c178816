// Input contract v2 (docs/models.md#input-contract): the letterbox mapping, the runtime encoder, and the
// depth encoding's invariance to the camera's height and tilt on simulated scenes.
import { type InputContract } from '../../src/models/manifest';
import {
  cameraToNetwork,
  encodeRaw,
  letterbox,
  networkToCamera,
  rgbImage,
} from '../../src/perception/preprocess';
import { boxToCamera, heatmapToCamera } from '../../src/perception/pipeline';
import { invertTransform, transformPoint } from '../../src/sim/math';
import { BinPickingSim } from '../../src/sim';

jest.setTimeout(120_000);

const CONTRACT: InputContract = {
  version: 2,
  fit: 'letterbox',
  pad_color: [0, 0, 0],
  depth_encoding: 'height_above_support',
  trained_aspects: [4 / 3],
};

test('letterbox: a 4:3 camera fills a 4:3 input; a 16:9 one is scaled by the same factor on both axes and centred', () => {
  expect(letterbox(640, 480, 192, 144)).toEqual({
    cameraWidth: 640,
    cameraHeight: 480,
    width: 192,
    height: 144,
    scaleX: 0.3,
    scaleY: 0.3,
    padX: 0,
    padY: 0,
    contentWidth: 192,
    contentHeight: 144,
  });
  const wide = letterbox(1280, 720, 192, 144);
  expect(wide).toMatchObject({ contentWidth: 192, contentHeight: 108, padX: 0, padY: 18 });
  expect(wide.scaleX).toBeCloseTo(0.15, 12);
  expect(wide.scaleY).toBeCloseTo(0.15, 12);
  // A tall (portrait) camera pads left and right.
  expect(letterbox(480, 640, 192, 144)).toMatchObject({
    contentWidth: 108,
    contentHeight: 144,
    padX: 42,
    padY: 0,
  });
  // Rounding keeps the aspect within one network pixel.
  const odd = letterbox(848, 480, 192, 144);
  expect(odd.contentWidth).toBe(192);
  expect(Math.abs(odd.contentHeight - (480 * 192) / 848)).toBeLessThanOrEqual(0.5);
});

test('camera <-> network pixels: exact round trips, pixel centres and box edges map to each other', () => {
  for (const [cw, ch] of [
    [640, 480],
    [1280, 720],
    [516, 386],
    [480, 640],
  ]) {
    const t = letterbox(cw, ch, 192, 144);
    for (const [u, v] of [
      [0, 0],
      [cw - 1, ch - 1],
      [123.25, 77.5],
    ]) {
      const n = cameraToNetwork(t, u, v);
      const back = networkToCamera(t, n.x, n.y);
      expect(back.u).toBeCloseTo(u, 9);
      expect(back.v).toBeCloseTo(v, 9);
    }
    // The content's outer edges are the camera's: network box [padX, padX+content) -> [0, camera).
    const box = boxToCamera(
      { x0: t.padX, y0: t.padY, x1: t.padX + t.contentWidth, y1: t.padY + t.contentHeight },
      t,
    );
    expect(box.x0).toBeCloseTo(0, 9);
    expect(box.y0).toBeCloseTo(0, 9);
    expect(box.x1).toBeCloseTo(cw, 9);
    expect(box.y1).toBeCloseTo(ch, 9);
  }
  // 1280x720 in 192x144: network row 18 (first content row) is camera rows 0..6.67.
  const t = letterbox(1280, 720, 192, 144);
  expect(boxToCamera({ x0: 96, y0: 18, x1: 97, y1: 19 }, t)).toEqual({
    x0: 640,
    y0: 0,
    x1: expect.closeTo(646.667, 3) as number,
    y1: expect.closeTo(6.667, 3) as number,
  });
});

test('a heatmap peak in the network frame lands on the same camera pixel for a 4:3 and a 16:9 camera', () => {
  for (const [cw, ch] of [
    [640, 480],
    [1280, 720],
  ]) {
    const t = letterbox(cw, ch, 192, 144);
    // A camera pixel, its network cell, a one-hot heatmap there: the camera-resolution map peaks back on it.
    const u = Math.round(cw * 0.3);
    const v = Math.round(ch * 0.7);
    const n = cameraToNetwork(t, u, v);
    const data = new Float32Array(192 * 144);
    data[Math.round(n.y) * 192 + Math.round(n.x)] = 1;
    const cam = heatmapToCamera({ width: 192, height: 144, data }, t);
    let best = 0;
    for (let i = 1; i < cam.data.length; i++) if (cam.data[i] > cam.data[best]) best = i;
    expect(Math.abs((best % cw) - u)).toBeLessThanOrEqual(1 / t.scaleX);
    expect(Math.abs(Math.floor(best / cw) - v)).toBeLessThanOrEqual(1 / t.scaleY);
  }
});

test('encodeRaw: letterboxed colour with the pad colour outside the camera image; padding has no height', () => {
  const cw = 64;
  const ch = 36;
  const rgb = new Uint8Array(cw * ch * 3).fill(200);
  const metres = new Float32Array(cw * ch).fill(0.8);
  const raw = encodeRaw({ ...CONTRACT, pad_color: [1, 2, 3] }, 32, 24, {
    color: rgbImage(cw, ch, rgb),
    depth: { width: cw, height: ch, metres },
    intrinsics: { fx: 60, fy: 60, cx: 31.5, cy: 17.5 },
  });
  expect(raw.transform).toMatchObject({ contentWidth: 32, contentHeight: 18, padX: 0, padY: 3 });
  expect([...raw.rgb.subarray(0, 3)]).toEqual([1, 2, 3]);
  expect([...raw.rgb.subarray(3 * 32 * 3, 3 * 32 * 3 + 3)]).toEqual([200, 200, 200]);
  expect(Number.isNaN(raw.height![0])).toBe(true);
  // A flat floor 0.8 m away, facing the camera: the support itself, height 0.
  expect(raw.plane).not.toBeNull();
  expect(Math.abs(raw.height![12 * 32 + 16])).toBeLessThan(1e-4);
});

/** A simulated bin scene seen from `heightM` above the floor, tilted by `tiltDeg` (exact depth). */
async function scene(heightM: number, tiltDeg: number, seed: number) {
  const t = (tiltDeg * Math.PI) / 180;
  const sim = await BinPickingSim.random(
    { count: 6, seed },
    {
      camera: {
        width: 320,
        height: 240,
        fx: 307.5,
        fy: 307.5,
        lookAt: { eye: { x: 0, y: -heightM * Math.tan(t), z: heightM }, target: { x: 0, y: 0, z: 0 } },
      },
    },
  );
  try {
    return sim.frame({ realism: false });
  } finally {
    sim.dispose();
  }
}

test.each([
  [0.4, 0],
  [0.7, 10],
  [1.0, 25],
  [1.5, 35],
  [0.55, 35],
])(
  'height above the support recovers object heights within 2 mm: camera %s m up, tilted %s deg',
  async (heightM, tiltDeg) => {
    const f = await scene(heightM, tiltDeg, 7 + Math.round(heightM * 10));
    const raw = encodeRaw(CONTRACT, f.width, f.height, {
      color: rgbImage(f.width, f.height, f.rgb),
      depth: { width: f.width, height: f.height, metres: f.depth },
      intrinsics: f.intrinsics,
    });
    expect(raw.transform).toMatchObject({ scaleX: 1, scaleY: 1, padX: 0, padY: 0 });
    const worldFromCamera = invertTransform(f.cameraFromWorld);
    const { fx, fy, cx, cy } = f.intrinsics;
    let checked = 0;
    let worst = 0;
    for (let i = 0; i < f.width * f.height; i += 7) {
      const z = f.depth[i];
      if (f.instance[i] === 0 || !(z > 0)) continue;
      const u = i % f.width;
      const v = Math.floor(i / f.width);
      // The bin floor's top is the world's z = 0 (src/sim/scene.ts): an object point's true height.
      const truth = transformPoint(worldFromCamera, { x: ((u - cx) * z) / fx, y: ((v - cy) * z) / fy, z }).z;
      worst = Math.max(worst, Math.abs(raw.height![i] - truth));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    expect(worst).toBeLessThan(0.002);
  },
);
