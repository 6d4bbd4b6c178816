// Time faults of a stamped input, checked per message before synchronisation: a stamp ahead of the
// receiver's clock (STAMP_IN_FUTURE), and stamps or the clock jumping back (TIME_JUMP). A pure data
// structure: the caller passes the clock's reading with every message.

export type StampFaultCode = 'STAMP_IN_FUTURE' | 'TIME_JUMP';

export interface StampFault {
  readonly code: StampFaultCode;
  readonly message: string;
}

export interface StampVerdict {
  /** false: drop the message (a future-stamped outlier), true: pass it on. */
  readonly accept: boolean;
  /** A fault to report, also when the message is accepted. */
  readonly fault?: StampFault;
  /** Time jumped back: whatever is held for synchronisation belongs to the old timeline. */
  readonly restart?: boolean;
}

export interface StampGuardOptions {
  /** A stamp this far (seconds) ahead of the clock is in the future. */
  readonly futureToleranceSec: number;
  /** A stamp, or the clock, this far (seconds) behind the last one means time jumped back. */
  readonly jumpBackSec: number;
  /**
   * Consecutive future-stamped messages of an input after which they are taken as the stream's
   * (the sender's clock runs ahead) rather than outliers; default 3.
   */
  readonly outlierRun?: number;
}

const seconds = (ns: bigint): string => (Number(ns) / 1e9).toFixed(3);

/**
 * Decides per message whether its stamp can be trusted. One set stamped ahead of the clock would
 * otherwise become the synchronizer's newest set and make it refuse every later, correctly stamped
 * set until the clock caught up (a black-out): such an outlier is dropped. Stamps that are ahead
 * consistently (the sender's clock is ahead of ours) are accepted with the fault, so a skewed clock
 * is reported but does not silence the stream.
 */
export class StampGuard {
  private readonly tolerance: bigint;
  private readonly jumpBack: bigint;
  private readonly outlierRun: number;
  /** Per input: the last accepted stamp and how far ahead of the clock it was. */
  private readonly last = new Map<number, { stamp: bigint; lead: bigint }>();
  private readonly futureRun = new Map<number, number>();
  private lastClock: bigint | undefined;

  constructor(options: StampGuardOptions) {
    for (const [name, v] of [
      ['futureToleranceSec', options.futureToleranceSec],
      ['jumpBackSec', options.jumpBackSec],
    ] as const) {
      if (!Number.isFinite(v) || v < 0)
        throw new RangeError(`${name} must be a finite number >= 0, got ${v}`);
    }
    this.tolerance = BigInt(Math.round(options.futureToleranceSec * 1e9));
    this.jumpBack = BigInt(Math.round(options.jumpBackSec * 1e9));
    this.outlierRun = options.outlierRun ?? 3;
  }

  /** Forgets every input's history (after a restart of the timeline). */
  reset(): void {
    this.last.clear();
    this.futureRun.clear();
  }

  /**
   * Checks one message of `input` stamped `stamp` (ns), received when the clock read `clock` (ns).
   * A clock of 0 (use_sim_time before the first /clock) is not used; with `judgeFuture` false the
   * clock is only watched for jumps (under use_sim_time /clock may lag the sensor messages a
   * simulator stamps and publishes with it, so "ahead of the clock" proves nothing).
   */
  check(input: number, stamp: bigint, clock: bigint, judgeFuture = true): StampVerdict {
    const clockUsable = clock > 0n;
    if (clockUsable && this.lastClock !== undefined && this.lastClock - clock > this.jumpBack) {
      const back = this.lastClock - clock;
      this.lastClock = clock;
      this.reset();
      this.last.set(input, { stamp, lead: stamp - clock });
      return {
        accept: true,
        restart: true,
        fault: {
          code: 'TIME_JUMP',
          message: `the clock jumped back by ${seconds(back)} s (a simulator or bag restarted /clock?); synchronisation restarted`,
        },
      };
    }
    if (clockUsable) this.lastClock = clock;
    const previous = this.last.get(input);
    if (previous && previous.stamp - stamp > this.jumpBack) {
      this.reset();
      this.last.set(input, { stamp, lead: clockUsable ? stamp - clock : 0n });
      return {
        accept: true,
        restart: true,
        fault: {
          code: 'TIME_JUMP',
          message: `stamps jumped back by ${seconds(previous.stamp - stamp)} s (a bag looped or the driver restarted); synchronisation restarted`,
        },
      };
    }
    const lead = clockUsable && judgeFuture ? stamp - clock : 0n;
    if (lead <= this.tolerance) {
      this.futureRun.set(input, 0);
      // The newest stamp stays the reference: a small step back does not lower it.
      const newest = previous && previous.stamp > stamp ? previous.stamp : stamp;
      this.last.set(input, { stamp: newest, lead });
      return { accept: true };
    }
    const run = (this.futureRun.get(input) ?? 0) + 1;
    this.futureRun.set(input, run);
    const consistent = previous !== undefined && lead - previous.lead <= this.tolerance;
    if (consistent || run >= this.outlierRun) {
      this.futureRun.set(input, 0);
      this.last.set(input, { stamp, lead });
      return {
        accept: true,
        fault: {
          code: 'STAMP_IN_FUTURE',
          message: `stamps are ${seconds(lead)} s ahead of this node's clock: the sender's clock and this one disagree (synchronise them, e.g. with chrony)`,
        },
      };
    }
    return {
      accept: false,
      fault: {
        code: 'STAMP_IN_FUTURE',
        message: `a message stamped ${seconds(lead)} s ahead of this node's clock was dropped (an outlier; the stream goes on)`,
      },
    };
  }
}
