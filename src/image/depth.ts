import { type Header, type Image } from '../msg';
import { HOST_IS_BIGENDIAN_FLAG, requireEncoding, tightHostBytes, validateImage } from './encodings';
import { fault } from './errors';

/**
 * Depth in metres, row-major, one value per pixel. Invalid pixels are NaN (never 0), so a
 * consumer cannot mistake "no reading" for "touching the lens": test with `d > 0` or
 * `Number.isNaN(d)`.
 */
export interface DepthImage {
  readonly width: number;
  readonly height: number;
  readonly metres: Float32Array;
}

/** Encodings decodeDepth accepts. mono16 is read like 16UC1: some drivers publish depth as it. */
export const DEPTH_ENCODINGS = ['16UC1', '32FC1', 'mono16'] as const;

/**
 * Decodes REP 118 depth: 16UC1 in millimetres or 32FC1 in metres, honouring step padding and
 * is_bigendian. REP 118 marks invalid pixels with 0 (16UC1) or NaN (32FC1); both become NaN in
 * the result, and so do 32FC1 values that cannot be a depth (0, negative, ±Inf).
 */
export function decodeDepth(img: Image): DepthImage {
  const info = validateImage(img);
  requireEncoding(img, DEPTH_ENCODINGS, 'depth (REP 118)');
  const n = img.width * img.height;
  let bytes = tightHostBytes(img, info);
  // Typed-array views need aligned offsets; a message decoded in place may not give one.
  if (bytes.byteOffset % info.elementBytes !== 0) bytes = bytes.slice();
  const metres = new Float32Array(n);
  if (info.elementBytes === 2) {
    const mm = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) metres[i] = mm[i] === 0 ? NaN : mm[i] / 1000;
  } else {
    const m = new Float32Array(bytes.buffer, bytes.byteOffset, n);
    for (let i = 0; i < n; i++) {
      const d = m[i];
      metres[i] = d > 0 && d < Infinity ? d : NaN;
    }
  }
  return { width: img.width, height: img.height, metres };
}

/**
 * A 32FC1 image's values as they are (NaN and ±Inf kept): for float maps such as heatmaps, where 0
 * is a value, not "invalid". Honours step padding and is_bigendian.
 */
export function decodeFloat32Image(img: Image): { width: number; height: number; values: Float32Array } {
  const info = validateImage(img);
  requireEncoding(img, ['32FC1'], 'a float map');
  const n = img.width * img.height;
  const bytes = tightHostBytes(img, info);
  // A copy: aligned for the view, and independent of the message.
  const values = new Float32Array(bytes.slice().buffer, 0, n);
  return { width: img.width, height: img.height, values };
}

function checkDepthArray(values: ArrayLike<number>, width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    fault('ZERO_SIZE', `${what} size ${width}x${height} is not a positive integer size`);
  }
  if (!values || typeof values.length !== 'number') fault('BAD_DATA_TYPE', `${what} values must be an array`);
  if (values.length !== width * height) {
    fault('SIZE_MISMATCH', `${what} has ${values.length} values, ${width}x${height} needs ${width * height}`);
  }
}

/**
 * Metres → REP 118 16UC1 millimetres, rounded to the nearest millimetre (so a round trip is
 * within 0.5 mm). Invalid or unrepresentable depths (NaN, ≤ 0, ±Inf, under 0.5 mm or over
 * 65.535 m) become 0, the 16UC1 "invalid" value; clamping would invent depth.
 */
export function encodeDepth16(
  metres: ArrayLike<number>,
  width: number,
  height: number,
  header: Header,
): Image {
  checkDepthArray(metres, width, height, 'depth');
  const mm = new Uint16Array(width * height);
  for (let i = 0; i < mm.length; i++) {
    const v = Math.round(metres[i] * 1000);
    mm[i] = v > 0 && v <= 65535 ? v : 0;
  }
  return {
    header,
    height,
    width,
    encoding: '16UC1',
    is_bigendian: HOST_IS_BIGENDIAN_FLAG,
    step: width * 2,
    data: new Uint8Array(mm.buffer),
  };
}

/**
 * Values → 32FC1 image, copied as they are (NaN stays NaN). For REP 118 depth in metres, and
 * for float outputs such as heatmaps that should carry the input header.
 */
export function encodeFloat32Image(
  values: ArrayLike<number>,
  width: number,
  height: number,
  header: Header,
): Image {
  checkDepthArray(values, width, height, '32FC1 image');
  const f = Float32Array.from(values);
  return {
    header,
    height,
    width,
    encoding: '32FC1',
    is_bigendian: HOST_IS_BIGENDIAN_FLAG,
    step: width * 4,
    data: new Uint8Array(f.buffer),
  };
}
