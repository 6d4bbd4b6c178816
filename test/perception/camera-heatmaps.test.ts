// Heatmaps to camera resolution: the separable bilinear sampling equals the direct 2-D formula exactly
// (squash, letterbox, a 16:9 camera, a stride-4 map, a plain resize), and the heatmap messages carry
// exactly the heatmaps' values.
import { decodeFloat32Image } from '../../src/image';
import { heatmapMessages } from '../../src/perception/messages';
import { heatmapToCamera, type PerceptionOutput, resizeHeatmap } from '../../src/perception/pipeline';
import { type InputTransform, letterbox } from '../../src/perception/preprocess';

type Heatmap = { width: number; height: number; data: Float32Array };

function heatmap(width: number, height: number, seed: number): Heatmap {
  let a = seed;
  const data = new Float32Array(width * height);
  for (let i = 0; i < data.length; i++) {
    a = (a * 1103515245 + 12345) % 2147483648;
    data[i] = a / 2147483648;
  }
  return { width, height, data };
}

/** Bilinear at each output pixel's centre, x = padX + (u + 0.5) · scaleX in map cells, edges clamped. */
function direct(src: Heatmap, t: InputTransform, stride: number): Float32Array {
  const out = new Float32Array(t.cameraWidth * t.cameraHeight);
  const d = src.data;
  for (let y = 0; y < t.cameraHeight; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, t.padY / stride + (y + 0.5) * (t.scaleY / stride) - 0.5));
    const r0 = Math.floor(fy) * src.width;
    const r1 = Math.min(src.height - 1, Math.floor(fy) + 1) * src.width;
    const ty = fy - Math.floor(fy);
    for (let x = 0; x < t.cameraWidth; x++) {
      const fx = Math.min(
        src.width - 1,
        Math.max(0, t.padX / stride + (x + 0.5) * (t.scaleX / stride) - 0.5),
      );
      const x0 = Math.floor(fx);
      const x1 = Math.min(src.width - 1, x0 + 1);
      const tx = fx - x0;
      const a = d[r0 + x0] + (d[r0 + x1] - d[r0 + x0]) * tx;
      const b = d[r1 + x0] + (d[r1 + x1] - d[r1 + x0]) * tx;
      out[y * t.cameraWidth + x] = a + (b - a) * ty;
    }
  }
  return out;
}

const squash = (cw: number, ch: number, w: number, h: number): InputTransform => ({
  cameraWidth: cw,
  cameraHeight: ch,
  width: w,
  height: h,
  scaleX: w / cw,
  scaleY: h / ch,
  padX: 0,
  padY: 0,
  contentWidth: w,
  contentHeight: h,
});

describe('heatmaps at camera resolution', () => {
  const cases: [string, InputTransform, number][] = [
    ['contract v1 squash, 160x128 -> 640x480', squash(640, 480, 160, 128), 1],
    ['contract v2 letterbox, 192x144 -> 640x480', letterbox(640, 480, 192, 144), 1],
    ['contract v2 letterbox of a 16:9 camera', letterbox(640, 360, 192, 144), 1],
    ['a stride-4 map (centres of mass), letterboxed', letterbox(640, 480, 192, 144), 4],
    ['downsampling (camera smaller than the map)', squash(100, 70, 160, 128), 1],
  ];
  for (const [name, t, stride] of cases) {
    test(`${name}: the separable sampling equals the 2-D formula exactly`, () => {
      const src = heatmap(t.width / stride, t.height / stride, 11);
      const out = heatmapToCamera(src, t, stride);
      expect(out.width).toBe(t.cameraWidth);
      expect(out.height).toBe(t.cameraHeight);
      expect(out.data).toEqual(direct(src, t, stride));
    });
  }

  test('resizeHeatmap is the same sampling with no padding', () => {
    const src = heatmap(40, 30, 5);
    expect(resizeHeatmap(src, 97, 61).data).toEqual(direct(src, squash(97, 61, 40, 30), 1));
  });

  test('the heatmap messages carry the heatmaps exactly (32FC1)', () => {
    const suction = heatmap(64, 48, 3);
    const com = heatmap(64, 48, 4);
    const header = { stamp: { sec: 1, nanosec: 2 }, frame_id: 'cam' };
    const m = heatmapMessages({ suction, com } as unknown as PerceptionOutput, header);
    for (const [msg, h] of [
      [m.suction, suction],
      [m.com, com],
    ] as const) {
      expect(msg.encoding).toBe('32FC1');
      expect(msg.header).toEqual(header);
      expect(msg.step).toBe(64 * 4);
      expect(decodeFloat32Image(msg).values).toEqual(h.data);
    }
  });
});
