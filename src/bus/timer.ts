import { type Logger } from './logging';
import { type Timer } from './types';

/**
 * A wall-clock timer on Node's event loop, for both buses: rcl timers would follow /clock under
 * use_sim_time, and BusNode promises wall time (diagnostics, watchdogs) whatever the node clock says.
 */
export function wallTimer(periodSec: number, callback: () => void, logger: Logger): Timer {
  if (!(periodSec > 0)) throw new Error(`timer period must be > 0 s, got ${periodSec}`);
  const handle = setInterval(() => {
    try {
      callback();
    } catch (err) {
      logger.error(`timer callback threw: ${(err as Error).stack ?? String(err)}`);
    }
  }, periodSec * 1000);
  return { cancel: () => clearInterval(handle) };
}
