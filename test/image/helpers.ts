import { cameraInfoFromModel, ENCODINGS, HOST_IS_BIG_ENDIAN, ImageFormatError } from '../../src/image';
import { type CameraInfo, type Header, type Image } from '../../src/msg';

export const header: Header = { stamp: { sec: 1, nanosec: 2 }, frame_id: 'camera_color_optical_frame' };

/** Byte written into row padding, so padding that leaks into pixels shows up. */
export const PAD_BYTE = 0xee;

/** Deterministic bytes (xorshift) for large or property-test images. */
export function pseudoRandomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let s = seed >>> 0 || 0x9e3779b9;
  for (let i = 0; i < n; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    out[i] = s & 255;
  }
  return out;
}

export function rowBytes(encoding: string, width: number): number {
  const e = ENCODINGS[encoding];
  return width * e.channels * e.elementBytes;
}

/**
 * The wire form of tight host-order pixel bytes: rows `pad` bytes longer than needed and elements
 * in the requested byte order. Written independently of the module under test.
 */
export function wireImage(
  encoding: string,
  width: number,
  height: number,
  tightHost: Uint8Array,
  options: { pad?: number; bigEndian?: 0 | 1 } = {},
): Image {
  const e = ENCODINGS[encoding];
  const row = rowBytes(encoding, width);
  const step = row + (options.pad ?? 0);
  const bigEndian = options.bigEndian ?? (HOST_IS_BIG_ENDIAN ? 1 : 0);
  const swap = e.elementBytes > 1 && (bigEndian === 1) !== HOST_IS_BIG_ENDIAN;
  const data = new Uint8Array(step * height).fill(PAD_BYTE);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < row; x += e.elementBytes) {
      for (let b = 0; b < e.elementBytes; b++) {
        const from = y * row + x + (swap ? e.elementBytes - 1 - b : b);
        data[y * step + x + b] = tightHost[from];
      }
    }
  }
  return { header, height, width, encoding, is_bigendian: bigEndian, step, data };
}

/** Host-order bytes of 16-bit values. */
export function u16Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

/** Host-order bytes of 32-bit float values. */
export function f32Bytes(values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

export function cameraInfo(over: Partial<CameraInfo> = {}): CameraInfo {
  const model = {
    width: 640,
    height: 480,
    fx: 615,
    fy: 616,
    cx: 320,
    cy: 240,
    d: [0.1, -0.2, 0.001, 0.002, 0.05],
  };
  return { ...cameraInfoFromModel(model, header), ...over };
}

/** The error a call throws ('no error' when it returns), for table tests. */
export function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return 'no error';
}

/** Runs fn; passes if it returns or throws an ImageFormatError, fails on any other exception. */
export function onlyTypedErrors(fn: () => unknown): void {
  const err = thrown(fn);
  if (err !== 'no error' && !(err instanceof ImageFormatError)) {
    throw new Error(`escaped as ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
  }
}
