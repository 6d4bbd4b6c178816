import { type Image } from '../msg';
import { fault } from './errors';
import { imageToColorMat } from './mat';
import { matBytes, withCv } from './opencv';

export type TensorLayout = 'NCHW' | 'NHWC';

export interface TensorOptions {
  /** Network input size; the image is resized to exactly this (no letterboxing). */
  readonly width: number;
  readonly height: number;
  /**
   * Per-channel mean and standard deviation in RGB order, for pixel values scaled to [0, 1]
   * (the torchvision / Isaac ROS `image_mean`, `image_stddev` convention):
   * out = (pixel / 255 − mean) / std.
   */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  readonly layout: TensorLayout;
  /** Resize filter; 'linear' (default) matches what most training pipelines use. */
  readonly interpolation?: 'linear' | 'area' | 'nearest';
}

function checkOptions(o: TensorOptions): void {
  if (!o || typeof o !== 'object') fault('INVALID_ARGUMENT', 'tensor options are missing');
  for (const [name, v] of [
    ['width', o.width],
    ['height', o.height],
  ] as const) {
    if (!Number.isInteger(v) || v <= 0) {
      fault('INVALID_ARGUMENT', `tensor ${name} ${v} must be a positive integer`);
    }
  }
  if (!Array.isArray(o.mean) || o.mean.length !== 3 || !o.mean.every(Number.isFinite)) {
    fault('INVALID_ARGUMENT', `tensor mean must be 3 finite numbers (RGB), got [${o.mean}]`);
  }
  if (!Array.isArray(o.std) || o.std.length !== 3 || !o.std.every((s) => Number.isFinite(s) && s > 0)) {
    fault('INVALID_ARGUMENT', `tensor std must be 3 positive finite numbers (RGB), got [${o.std}]`);
  }
  if (o.layout !== 'NCHW' && o.layout !== 'NHWC') {
    fault('INVALID_ARGUMENT', `tensor layout must be 'NCHW' or 'NHWC', got '${o.layout}'`);
  }
  if (o.interpolation !== undefined && !['linear', 'area', 'nearest'].includes(o.interpolation)) {
    fault(
      'INVALID_ARGUMENT',
      `interpolation must be 'linear', 'area' or 'nearest', got '${o.interpolation}'`,
    );
  }
}

/**
 * The network input for batch 1: RGB whatever the input encoding (bgr8, rgba8, mono8, yuv422 …
 * are converted by OpenCV), resized with OpenCV, normalised per channel, as a Float32Array of
 * 3 × height × width values in the requested layout.
 */
export function imageToRgbTensor(img: Image, options: TensorOptions): Float32Array {
  checkOptions(options);
  const { width, height, mean, std, layout } = options;
  const rgbMat = imageToColorMat(img, 'rgb');
  const pixels = withCv('resizing the tensor input', (c) => {
    if (img.width === width && img.height === height) return matBytes(rgbMat);
    const filter = { linear: c.INTER_LINEAR, area: c.INTER_AREA, nearest: c.INTER_NEAREST }[
      options.interpolation ?? 'linear'
    ];
    return matBytes(rgbMat.resize(height, width, 0, 0, filter));
  });
  const n = width * height;
  const out = new Float32Array(3 * n);
  // Lookup tables: 256 values per channel, so the loop is one table read per element.
  const lut = [0, 1, 2].map((ch) => {
    const t = new Float32Array(256);
    for (let v = 0; v < 256; v++) t[v] = (v / 255 - mean[ch]) / std[ch];
    return t;
  });
  const [r, g, b] = lut;
  if (layout === 'NCHW') {
    for (let i = 0, p = 0; i < n; i++, p += 3) {
      out[i] = r[pixels[p]];
      out[n + i] = g[pixels[p + 1]];
      out[2 * n + i] = b[pixels[p + 2]];
    }
  } else {
    for (let p = 0; p < 3 * n; p += 3) {
      out[p] = r[pixels[p]];
      out[p + 1] = g[pixels[p + 1]];
      out[p + 2] = b[pixels[p + 2]];
    }
  }
  return out;
}
