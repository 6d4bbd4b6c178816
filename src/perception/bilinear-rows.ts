// Bilinear resampling made separable, shared by the camera-resolution heatmaps and instance masks.
// Hand-written: OpenCV's resize has no per-axis offset (letterbox padding, a mask's crop window) and
// rounds its weights to 11 bits; these loops keep the 2-D formula's doubles exactly.

/** Output column i reads source columns a[i] and b[i] (= a[i] or a[i] + 1) with weight t[i] on b[i]. */
export interface ColumnTaps {
  readonly a: Int32Array;
  readonly b: Int32Array;
  readonly t: Float64Array;
}

/**
 * Taps for `width` output columns; `sourceX(i)` is column i's source coordinate, clamped here to
 * [lo, hi]. Indices are returned relative to `lo` (the first column of the source window).
 */
export function columnTaps(
  width: number,
  sourceX: (i: number) => number,
  lo: number,
  hi: number,
): ColumnTaps {
  const a = new Int32Array(width);
  const b = new Int32Array(width);
  const t = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const fx = Math.min(hi, Math.max(lo, sourceX(i)));
    const x0 = Math.floor(fx);
    a[i] = x0 - lo;
    b[i] = Math.min(hi, x0 + 1) - lo;
    t[i] = fx - x0;
  }
  return { a, b, t };
}

/**
 * Source rows interpolated along x, each once: `rowAt(k)` returns the offset in `rows` of row k of
 * `src` (row stride `stride`) sampled at the taps. An output row reads two source rows that differ by
 * one (or are the same) and rows come in increasing order, so two slots hold them (row k in slot k & 1).
 */
export function rowInterpolator(
  src: ArrayLike<number>,
  stride: number,
  taps: ColumnTaps,
): { rows: Float64Array; rowAt: (k: number) => number } {
  const width = taps.a.length;
  const rows = new Float64Array(2 * width);
  const held = [-1, -1];
  const rowAt = (k: number): number => {
    const slot = k & 1;
    const o = slot * width;
    if (held[slot] !== k) {
      held[slot] = k;
      const s = k * stride;
      for (let i = 0; i < width; i++) {
        const v = src[s + taps.a[i]];
        rows[o + i] = v + (src[s + taps.b[i]] - v) * taps.t[i];
      }
    }
    return o;
  };
  return { rows, rowAt };
}
