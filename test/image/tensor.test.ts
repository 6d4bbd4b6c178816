import { imageToRgbTensor, ImageFormatError, type TensorOptions } from '../../src/image';
import { u16Bytes, thrown, wireImage } from './helpers';

const unit = { mean: [0, 0, 0], std: [1, 1, 1] } as const;
const round = (a: Float32Array) => Array.from(a, (v) => Math.round(v * 1e4) / 1e4);

describe('imageToRgbTensor', () => {
  // Two pixels: red-ish and blue-ish, given in BGR order.
  const bgr = wireImage('bgr8', 2, 1, Uint8Array.from([0, 51, 255, 255, 102, 0]), { pad: 2 });

  it('NCHW: channel planes in RGB order whatever the input order', () => {
    const t = imageToRgbTensor(bgr, { width: 2, height: 1, ...unit, layout: 'NCHW' });
    expect(round(t)).toEqual([1, 0, 0.2, 0.4, 0, 1]);
  });

  it('NHWC: interleaved RGB', () => {
    const t = imageToRgbTensor(bgr, { width: 2, height: 1, ...unit, layout: 'NHWC' });
    expect(round(t)).toEqual([1, 0.2, 0, 0, 0.4, 1]);
  });

  it('normalises per channel on [0, 1]-scaled values: (v / 255 − mean) / std', () => {
    const o: TensorOptions = {
      width: 2,
      height: 1,
      mean: [0.5, 0.25, 0],
      std: [0.5, 0.25, 2],
      layout: 'NHWC',
    };
    expect(round(imageToRgbTensor(bgr, o))).toEqual([1, -0.2, 0, -1, 0.6, 0.5]);
  });

  it('rgba8, bgra8, mono8, mono16 and rgb8 all give the same RGB tensor for the same colours', () => {
    const o: TensorOptions = { width: 1, height: 1, ...unit, layout: 'NCHW' };
    const expected = [0.2, 0.4, 0.6];
    const inputs = [
      wireImage('rgb8', 1, 1, Uint8Array.from([51, 102, 153])),
      wireImage('rgba8', 1, 1, Uint8Array.from([51, 102, 153, 7])),
      wireImage('bgra8', 1, 1, Uint8Array.from([153, 102, 51, 7])),
    ];
    for (const img of inputs) expect(round(imageToRgbTensor(img, o))).toEqual(expected);
    expect(round(imageToRgbTensor(wireImage('mono8', 1, 1, Uint8Array.from([51])), o))).toEqual([
      0.2, 0.2, 0.2,
    ]);
    expect(
      round(imageToRgbTensor(wireImage('mono16', 1, 1, u16Bytes([65535]), { bigEndian: 1 }), o)),
    ).toEqual([1, 1, 1]);
  });

  it('resizes with OpenCV: uniform stays uniform, area averages, nearest repeats', () => {
    const uniform = wireImage('rgb8', 8, 6, new Uint8Array(8 * 6 * 3).fill(51), { pad: 3 });
    const t = imageToRgbTensor(uniform, { width: 4, height: 3, ...unit, layout: 'NCHW' });
    expect(t).toHaveLength(36);
    expect(new Set(round(t))).toEqual(new Set([0.2]));
    // A 2×1 black/white mono image averaged to 1×1.
    const bw = wireImage('mono8', 2, 1, Uint8Array.from([0, 255]));
    const area = imageToRgbTensor(bw, {
      width: 1,
      height: 1,
      ...unit,
      layout: 'NCHW',
      interpolation: 'area',
    });
    expect(Math.abs(area[0] - 0.5)).toBeLessThan(0.003);
    const up = imageToRgbTensor(bw, {
      width: 4,
      height: 2,
      ...unit,
      layout: 'NCHW',
      interpolation: 'nearest',
    });
    expect(round(up.subarray(0, 8))).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
  });

  it('rejects bad options and non-colour encodings with typed errors', () => {
    const ok: TensorOptions = { width: 2, height: 1, ...unit, layout: 'NCHW' };
    const bad: [Partial<TensorOptions>, string][] = [
      [{ width: 0 }, 'tensor width 0 must be a positive integer'],
      [{ height: 1.5 }, 'tensor height 1.5 must be a positive integer'],
      [{ std: [1, 0, 1] }, 'tensor std must be 3 positive finite numbers'],
      [{ mean: [0, 0] as unknown as TensorOptions['mean'] }, 'tensor mean must be 3 finite numbers'],
      [{ layout: 'CHW' as TensorOptions['layout'] }, "tensor layout must be 'NCHW' or 'NHWC', got 'CHW'"],
      [
        { interpolation: 'cubic' as TensorOptions['interpolation'] },
        "interpolation must be 'linear', 'area' or 'nearest'",
      ],
    ];
    for (const [over, message] of bad) {
      const e = thrown(() => imageToRgbTensor(bgr, { ...ok, ...over })) as ImageFormatError;
      expect(e).toBeInstanceOf(ImageFormatError);
      expect(e.code).toBe('INVALID_ARGUMENT');
      expect(e.message).toContain(message);
    }
    const depth = wireImage('16UC1', 2, 1, u16Bytes([1, 2]));
    expect((thrown(() => imageToRgbTensor(depth, ok)) as ImageFormatError).code).toBe('WRONG_ENCODING');
  });
});
