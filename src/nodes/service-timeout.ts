/**
 * The longest a node's service waits for a frame, seconds. Longer request timeouts (1e9, Infinity)
 * are clamped to it: setTimeout's delay is a signed 32-bit count of milliseconds (about 24.8 days),
 * and a larger one fires at once.
 */
export const MAX_SERVICE_TIMEOUT_SEC = 3600;

/** How long a request waits: its timeout when positive (clamped), else the node's default. */
export function serviceTimeout(
  requestedSec: number,
  defaultSec: number,
): { seconds: number; ms: number; clamped: boolean } {
  const wanted = requestedSec > 0 ? requestedSec : defaultSec; // NaN and <= 0: the default
  const clamped = wanted > MAX_SERVICE_TIMEOUT_SEC;
  const seconds = clamped ? MAX_SERVICE_TIMEOUT_SEC : wanted;
  return { seconds, ms: seconds * 1000, clamped };
}
