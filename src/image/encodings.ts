import { type Image } from '../msg';
import { fault } from './errors';

/** How one sensor_msgs/Image encoding lays out a pixel (sensor_msgs/image_encodings.hpp). */
export interface EncodingInfo {
  readonly name: string;
  readonly channels: number;
  /** Bytes per channel element; elements wider than a byte are subject to is_bigendian. */
  readonly elementBytes: 1 | 2 | 4;
  readonly kind: 'color' | 'mono' | 'depth' | 'yuv';
  /** Pixels a macro-pixel spans horizontally: the width must be a multiple of it. */
  readonly widthMultiple: number;
}

const E = (
  name: string,
  channels: number,
  elementBytes: 1 | 2 | 4,
  kind: EncodingInfo['kind'],
  widthMultiple = 1,
): EncodingInfo => ({ name, channels, elementBytes, kind, widthMultiple });

/** The encodings this module reads and writes. */
export const ENCODINGS: Readonly<Record<string, EncodingInfo>> = {
  rgb8: E('rgb8', 3, 1, 'color'),
  bgr8: E('bgr8', 3, 1, 'color'),
  rgba8: E('rgba8', 4, 1, 'color'),
  bgra8: E('bgra8', 4, 1, 'color'),
  mono8: E('mono8', 1, 1, 'mono'),
  '8UC1': E('8UC1', 1, 1, 'mono'),
  mono16: E('mono16', 1, 2, 'mono'),
  '16UC1': E('16UC1', 1, 2, 'depth'),
  '32FC1': E('32FC1', 1, 4, 'depth'),
  // UYVY (yuv422) and YUYV (yuv422_yuy2): two pixels share a 4-byte macro-pixel, so width is even.
  yuv422: E('yuv422', 2, 1, 'yuv', 2),
  yuv422_yuy2: E('yuv422_yuy2', 2, 1, 'yuv', 2),
};

export const HOST_IS_BIG_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 0;

/** is_bigendian for data we write: always the host's order (no swapping on output). */
export const HOST_IS_BIGENDIAN_FLAG = HOST_IS_BIG_ENDIAN ? 1 : 0;

export function bytesPerPixel(info: EncodingInfo): number {
  return info.channels * info.elementBytes;
}

/** Looks up an encoding, throwing UNKNOWN_ENCODING with the supported list. */
export function encodingInfo(encoding: string): EncodingInfo {
  const info = Object.prototype.hasOwnProperty.call(ENCODINGS, encoding) ? ENCODINGS[encoding] : undefined;
  if (!info) {
    fault(
      'UNKNOWN_ENCODING',
      `unknown encoding '${encoding}' (supported: ${Object.keys(ENCODINGS).join(', ')})`,
    );
  }
  return info;
}

const isSize = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

/**
 * Checks an Image's geometry against its encoding and returns the layout. Each problem is a
 * distinct ImageFormatError code with the numbers in its message.
 *
 * The data must be exactly step × height bytes, as sensor_msgs/Image defines it: a shorter buffer
 * is DATA_TRUNCATED, and a longer one is DATA_TOO_LONG, because extra bytes mean width, height or
 * step are not what the sender thinks and guessing which would silently shear the image.
 */
export function validateImage(img: Image): EncodingInfo {
  if (img === null || typeof img !== 'object')
    fault('BAD_DATA_TYPE', `an Image must be an object, got ${img}`);
  const info = encodingInfo(img.encoding);
  if (!(img.data instanceof Uint8Array)) {
    fault('BAD_DATA_TYPE', `data must be a Uint8Array, got ${img.data === null ? 'null' : typeof img.data}`);
  }
  if (!isSize(img.width) || !isSize(img.height)) {
    fault('ZERO_SIZE', `image size ${img.width}x${img.height} is not a positive integer size`);
  }
  if (img.data.byteLength === 0) {
    fault('EMPTY_DATA', `data is empty for a ${img.width}x${img.height} ${img.encoding} image`);
  }
  if (img.is_bigendian !== 0 && img.is_bigendian !== 1) {
    fault('BAD_ENDIANNESS', `is_bigendian must be 0 or 1, got ${img.is_bigendian}`);
  }
  if (img.width % info.widthMultiple !== 0) {
    fault(
      'ODD_DIMENSIONS',
      `${img.encoding} needs a width that is a multiple of ${info.widthMultiple}, got ${img.width}`,
    );
  }
  const pixelBytes = bytesPerPixel(info);
  const rowBytes = img.width * pixelBytes;
  if (!Number.isInteger(img.step) || img.step < rowBytes) {
    fault(
      'STEP_TOO_SMALL',
      `step ${img.step} < width ${img.width} × ${pixelBytes} bytes/pixel = ${rowBytes} for ${img.encoding}`,
    );
  }
  // Rows of 2- and 4-byte elements must start on an element boundary, or every row after the
  // first would be read shifted by a fraction of a pixel.
  if (img.step % info.elementBytes !== 0) {
    fault(
      'STEP_MISALIGNED',
      `step ${img.step} is not a multiple of the ${info.elementBytes}-byte element of ${img.encoding}`,
    );
  }
  const expected = img.step * img.height;
  if (img.data.byteLength < expected) {
    fault(
      'DATA_TRUNCATED',
      `data has ${img.data.byteLength} bytes, step ${img.step} × height ${img.height} needs ${expected}`,
    );
  }
  if (img.data.byteLength > expected) {
    fault(
      'DATA_TOO_LONG',
      `data has ${img.data.byteLength} bytes, more than step ${img.step} × height ${img.height} = ${expected}`,
    );
  }
  return info;
}

/** Throws WRONG_ENCODING unless the image's encoding is one of `allowed`. */
export function requireEncoding(img: Image, allowed: readonly string[], purpose: string): void {
  if (!allowed.includes(img.encoding)) {
    fault('WRONG_ENCODING', `${purpose} needs ${allowed.join(' or ')}, got '${img.encoding}'`);
  }
}

/**
 * The pixel rows as a tight, host-endian buffer: drops step padding and swaps bytes when the
 * sender's byte order differs from ours. Returns a view of the original bytes when nothing needs
 * changing (callers must not write to it). Expects a validated image.
 */
export function tightHostBytes(img: Image, info: EncodingInfo): Uint8Array {
  const rowBytes = img.width * bytesPerPixel(info);
  const swap = info.elementBytes > 1 && (img.is_bigendian === 1) !== HOST_IS_BIG_ENDIAN;
  if (img.step === rowBytes && !swap) return img.data.subarray(0, rowBytes * img.height);
  const out = new Uint8Array(rowBytes * img.height);
  for (let y = 0; y < img.height; y++) {
    out.set(img.data.subarray(y * img.step, y * img.step + rowBytes), y * rowBytes);
  }
  if (swap) swapBytes(out, info.elementBytes);
  return out;
}

/** Reverses the bytes of each `n`-byte element in place. */
export function swapBytes(bytes: Uint8Array, n: number): void {
  for (let i = 0; i + n <= bytes.length; i += n) {
    for (let a = i, b = i + n - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}
