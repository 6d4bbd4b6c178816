import * as path from 'node:path';
import type * as OpenCV from '@u4/opencv4nodejs';
import { ImageFormatError } from './errors';

export type Cv = typeof OpenCV.default;
export type Mat = OpenCV.Mat;

let loaded: Cv | undefined;

/**
 * OpenCV, loaded on first use so that importing this module (e.g. for validation only) costs
 * nothing. @u4/opencv-build logs its build configuration on every load; it is silenced here.
 * A missing native build throws a plain Error: that is an installation fault, not bad input.
 */
export function cv(): Cv {
  if (!loaded) {
    /* eslint-disable @typescript-eslint/no-require-imports -- lazy, and the logger must be silenced first */
    let log: { silence?: boolean } | undefined;
    try {
      // Resolve from opencv4nodejs itself so we silence the copy it uses, however npm hoisted it.
      const from = path.dirname(require.resolve('@u4/opencv4nodejs'));
      log = (
        require(require.resolve('@u4/opencv-build', { paths: [from] })) as { Log?: { silence?: boolean } }
      ).Log;
    } catch {
      log = undefined; // no logger to silence: load anyway
    }
    const before = log?.silence;
    if (log) log.silence = true;
    try {
      loaded = require('@u4/opencv4nodejs') as Cv;
    } finally {
      if (log) log.silence = before;
    }
    /* eslint-enable @typescript-eslint/no-require-imports */
  }
  return loaded;
}

/**
 * Runs OpenCV work and turns any exception it throws into an ImageFormatError('OPENCV_ERROR'), so
 * callers see one error type for bad input. Our own typed errors pass through unchanged.
 */
export function withCv<T>(what: string, fn: (c: Cv) => T): T {
  const c = cv();
  try {
    return fn(c);
  } catch (err) {
    if (err instanceof ImageFormatError) throw err;
    const detail = err instanceof Error ? err.message : String(err);
    throw new ImageFormatError('OPENCV_ERROR', `OpenCV failed while ${what}: ${detail}`);
  }
}

/** Pixel bytes of a Mat, also for a ROI view (whose getData() OpenCV refuses) or a strided Mat. */
export function matBytes(mat: Mat): Uint8Array {
  let data: Buffer;
  try {
    data = mat.getData();
  } catch {
    data = mat.copy().getData();
  }
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/** A Mat view of tight pixel bytes; OpenCV copies them, so the caller's array is not aliased. */
export function bytesToMat(c: Cv, bytes: Uint8Array, rows: number, cols: number, type: number): Mat {
  return new c.Mat(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), rows, cols, type);
}
