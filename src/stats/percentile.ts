// Order statistics shared by every layer that reports latencies or metrics.

/**
 * numpy's default np.percentile(values, p) (method "linear": interpolation between the closest ranks, with
 * numpy's own lerp, so results agree to the bit); p in [0, 100]. NaN if any value is NaN; throws on no values.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  if (!(p >= 0 && p <= 100)) throw new Error(`percentile must be in [0, 100], got ${p}`);
  if (values.some((x) => Number.isNaN(x))) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.min(Math.floor(pos), s.length - 1);
  const hi = Math.min(lo + 1, s.length - 1);
  const g = pos - lo;
  const diff = s[hi] - s[lo];
  // numpy's _lerp: from the nearer end, a + (b − a)·g below g = 0.5 and b − (b − a)·(1 − g) from it on.
  return g >= 0.5 ? s[hi] - diff * (1 - g) : s[lo] + diff * g;
}
