// Confidence intervals for proportions measured on few trials (episodes, grasps).

/**
 * Wilson score interval of a binomial proportion (successes of n trials) at normal quantile z
 * (1.96: 95 %). Unlike the normal approximation it stays inside [0, 1] and is sound at 0 or n successes.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`wilson interval needs n >= 1 trials, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new RangeError(`successes ${successes} not in 0..${n}`);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}
