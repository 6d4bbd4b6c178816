/**
 * COCO run-length encoding (pycocotools' uncompressed form): runs over the mask in column-major
 * order, starting with a run of zeros (possibly empty). Hand-written: no maintained JS package
 * encodes COCO RLE, and it is a dozen lines.
 */
export interface Rle {
  size: [height: number, width: number];
  counts: number[];
}

/** Encodes a row-major mask (non-zero = inside) of a full image. */
export function encodeRle(mask: ArrayLike<number>, width: number, height: number): Rle {
  if (mask.length !== width * height)
    throw new RangeError(`mask has ${mask.length} values, ${width}x${height} needs ${width * height}`);
  const counts: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < width; x++) {
    for (let y = 0; y < height; y++) {
      const v = mask[y * width + x] ? 1 : 0;
      if (v !== current) {
        counts.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  counts.push(run);
  return { size: [height, width], counts };
}

/** Decodes to a row-major Uint8Array of 0/1. */
export function decodeRle(rle: Rle): Uint8Array {
  const [height, width] = rle.size;
  const out = new Uint8Array(width * height);
  let i = 0;
  let v = 0;
  for (const run of rle.counts) {
    if (run < 0 || i + run > width * height) throw new RangeError('RLE counts exceed the mask size');
    if (v) {
      for (let k = i; k < i + run; k++) out[(k % height) * width + Math.floor(k / height)] = 1;
    }
    i += run;
    v ^= 1;
  }
  if (i !== width * height) throw new RangeError(`RLE covers ${i} pixels, the mask has ${width * height}`);
  return out;
}

export function rleArea(rle: Rle): number {
  let a = 0;
  for (let k = 1; k < rle.counts.length; k += 2) a += rle.counts[k];
  return a;
}
