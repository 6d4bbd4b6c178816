import { type Time, timeToNanos } from '../msg';

/** Anything with a std_msgs/Header stamp. */
export interface Stamped {
  readonly header: { readonly stamp: Time };
}

/** The input indices of a tuple type: 0 | 1 | 2 for [A, B, C]; number for a plain array. */
export type InputIndex<T extends readonly unknown[]> = number extends T['length']
  ? number
  : Exclude<Partial<T>['length'], T['length']>;

export interface ApproximateTimeOptions {
  /** Messages kept per input, candidates and passed-over ones together (message_filters' queue_size). */
  readonly queueSize: number;
  /** A set whose stamps spread more than this is never emitted (max_interval_duration; default unbounded). */
  readonly maxIntervalSec?: number;
  /**
   * age_penalty (>= 0; default 0.1, as upstream): how much tighter a newer set must be to replace
   * the current candidate. Higher values emit sooner, at the cost of less tight sets.
   */
  readonly agePenalty?: number;
  /**
   * Per input, the least time between consecutive stamps, if known (inter_message_lower_bound;
   * default 0). Lets a set go out before the next message arrives; a bound that is too large
   * makes the emitted sets suboptimal.
   */
  readonly interMessageLowerBoundSec?: readonly (number | undefined)[];
  /**
   * A message this much older than the last one its input gave to a set means time jumped back
   * (a bag looped, a simulator restarted): everything held is dropped and matching starts afresh.
   * Default 1 s; Infinity disables it (then call reset() yourself).
   */
  readonly timeJumpBackSec?: number;
  /** Number of inputs; default: the callback's parameter count. */
  readonly inputs?: number;
}

export interface SynchronizerStats {
  /** Sets passed to the callback. */
  readonly emitted: number;
  /** Messages that left without being part of a set (all causes, `outOfOrder` included). */
  readonly dropped: number;
  readonly droppedPerInput: readonly number[];
  /** Messages refused for arriving too late: not newer than their input's last message in a set, or a repeated stamp. */
  readonly outOfOrder: number;
  /** Late messages that were still usable and were put in stamp order. */
  readonly reordered: number;
  /** Times a jump back in time made the synchronizer start afresh. */
  readonly timeJumps: number;
  /** Messages held now. */
  readonly queued: number;
}

interface Entry<M> {
  readonly message: M;
  readonly stamp: bigint;
}

const NO_PIVOT = -1;
/** rclcpp::Duration(INT32_MAX, 999999999), message_filters' "no limit". */
const UNBOUNDED_NS = 2_147_483_647_999_999_999n;

const secondsToNanos = (name: string, sec: number): bigint => {
  if (!Number.isFinite(sec) || sec < 0) {
    throw new RangeError(`${name} must be a finite number >= 0, got ${sec}`);
  }
  return BigInt(Math.round(sec * 1e9));
};

/**
 * The ApproximateTime policy of ROS message_filters (sync_policies/approximate_time.hpp, ros2
 * branch), ported function by function: per-input deques plus "past" vectors of passed-over
 * messages, the input whose head is latest becomes the pivot, and a candidate set is emitted as
 * soon as no later message could make a tighter one (optionally proved early with the
 * inter-message lower bounds). As upstream, emitted sets depend only on the stamps, not on the
 * arrival order across inputs, provided the queues are long enough.
 *
 * Upstream assumes each input arrives in stamp order and only warns otherwise (its deques then
 * go unsorted and one stray stamp can block an input until the queue overflows). Here a late
 * message that can still form a set is put in stamp order (the candidate search restarts, as
 * upstream does after a queue overflow); one not newer than its input's last message in a set is
 * dropped; and a jump back in time beyond `timeJumpBackSec` resets. So each input's messages
 * appear in sets in strictly increasing stamp order. A pure data structure: no timers, no clock.
 */
export class ApproximateTimeSynchronizer<T extends readonly Stamped[]> {
  private readonly n: number;
  private readonly queueSize: number;
  private readonly maxInterval: bigint;
  private readonly agePenalty: number;
  private readonly lowerBounds: readonly bigint[];

  private readonly deques: Entry<T[number]>[][];
  private readonly past: Entry<T[number]>[][];
  private readonly hasDroppedMessages: boolean[];
  /** Per input, the stamp of its message in the last emitted set. */
  private readonly lastEmitted: (bigint | undefined)[];
  private readonly timeJumpBack: bigint | undefined;
  private numNonEmptyDeques = 0;
  private candidate: Entry<T[number]>[] | undefined;
  private candidateStart = 0n;
  private candidateEnd = 0n;
  private pivot = NO_PIVOT;
  private pivotTime = 0n;

  private emitted = 0;
  private readonly dropped: number[];
  private outOfOrder = 0;
  private reordered = 0;
  private timeJumps = 0;
  /** Sets found but not yet handed to the callback: it runs only once the state is consistent. */
  private readonly ready: T[] = [];
  private dispatching = false;

  constructor(
    options: ApproximateTimeOptions,
    private readonly callback: (...set: T) => void,
  ) {
    const n = options.inputs ?? callback.length;
    if (!Number.isInteger(n) || n < 2) {
      throw new RangeError(`inputs must be an integer >= 2 (set options.inputs), got ${n}`);
    }
    if (!Number.isInteger(options.queueSize) || options.queueSize < 1) {
      throw new RangeError(`queueSize must be a positive integer, got ${options.queueSize}`);
    }
    const agePenalty = options.agePenalty ?? 0.1;
    if (!(agePenalty >= 0) || !Number.isFinite(agePenalty)) {
      throw new RangeError(`agePenalty must be a finite number >= 0, got ${agePenalty}`);
    }
    const bounds = options.interMessageLowerBoundSec ?? [];
    if (bounds.length > n) {
      throw new RangeError(`interMessageLowerBoundSec has ${bounds.length} entries for ${n} inputs`);
    }
    this.n = n;
    this.queueSize = options.queueSize;
    this.agePenalty = agePenalty;
    this.maxInterval =
      options.maxIntervalSec === undefined
        ? UNBOUNDED_NS
        : secondsToNanos('maxIntervalSec', options.maxIntervalSec);
    const jump = options.timeJumpBackSec ?? 1;
    this.timeJumpBack = jump === Infinity ? undefined : secondsToNanos('timeJumpBackSec', jump);
    this.lowerBounds = Array.from({ length: n }, (_, i) =>
      secondsToNanos(`interMessageLowerBoundSec[${i}]`, bounds[i] ?? 0),
    );
    this.deques = Array.from({ length: n }, () => []);
    this.past = Array.from({ length: n }, () => []);
    this.hasDroppedMessages = new Array<boolean>(n).fill(false);
    this.lastEmitted = new Array<bigint | undefined>(n).fill(undefined);
    this.dropped = new Array<number>(n).fill(0);
  }

  get inputCount(): number {
    return this.n;
  }

  stats(): SynchronizerStats {
    let queued = 0;
    for (let i = 0; i < this.n; i++) queued += this.deques[i].length + this.past[i].length;
    return {
      emitted: this.emitted,
      dropped: this.dropped.reduce((a, b) => a + b, 0),
      droppedPerInput: [...this.dropped],
      outOfOrder: this.outOfOrder,
      reordered: this.reordered,
      timeJumps: this.timeJumps,
      queued,
    };
  }

  /** Forgets every held message (counted as dropped) and each input's last stamp; counters stay. */
  reset(): void {
    for (let i = 0; i < this.n; i++) {
      this.dropped[i] += this.deques[i].length + this.past[i].length;
      this.deques[i] = [];
      this.past[i] = [];
      this.hasDroppedMessages[i] = false;
      this.lastEmitted[i] = undefined;
    }
    this.numNonEmptyDeques = 0;
    this.candidate = undefined;
    this.pivot = NO_PIVOT;
  }

  /** Feeds one message of input `index`; the callback runs for every set this completes. */
  add<I extends InputIndex<T> & number>(index: I, message: T[I]): void {
    const i: number = index;
    if (!Number.isInteger(i) || i < 0 || i >= this.n) {
      throw new RangeError(`input index ${i} out of range 0..${this.n - 1}`);
    }
    const entry: Entry<T[number]> = {
      message: message as T[number],
      stamp: timeToNanos(message.header.stamp),
    };
    const consumed = this.lastEmitted[i];
    if (consumed !== undefined && entry.stamp <= consumed) {
      if (this.timeJumpBack === undefined || consumed - entry.stamp <= this.timeJumpBack) {
        this.refuse(i);
        return;
      }
      this.timeJumps++;
      this.reset();
    }
    const deque = this.deques[i];
    const past = this.past[i];
    const newest = deque.length > 0 ? deque[deque.length - 1] : past[past.length - 1];
    if (newest === undefined || entry.stamp > newest.stamp) {
      deque.push(entry);
      if (deque.length === 1) {
        ++this.numNonEmptyDeques;
        if (this.numNonEmptyDeques === this.n) this.process();
      }
    } else if (this.holdsStamp(i, entry.stamp)) {
      this.refuse(i);
      return;
    } else {
      this.insertLate(i, entry);
    }
    // process() may have left this input one message over the limit.
    if (deque.length + this.past[i].length > this.queueSize) {
      // Cancel the ongoing candidate search and drop the oldest message of the offending input.
      this.numNonEmptyDeques = 0;
      for (let k = 0; k < this.n; k++) this.recover(k, this.past[k].length);
      deque.shift();
      this.dropped[i]++;
      this.hasDroppedMessages[i] = true;
      if (this.pivot !== NO_PIVOT) {
        this.candidate = undefined;
        this.pivot = NO_PIVOT;
        this.process();
      }
    }
    this.dispatch();
  }

  private refuse(i: number): void {
    this.outOfOrder++;
    this.dropped[i]++;
  }

  private holdsStamp(i: number, stamp: bigint): boolean {
    return this.deques[i].some((e) => e.stamp === stamp) || this.past[i].some((e) => e.stamp === stamp);
  }

  /**
   * Puts a late message in stamp order. The candidate search is cancelled and restarted from the
   * recovered deques, as upstream does after a queue overflow.
   */
  private insertLate(i: number, entry: Entry<T[number]>): void {
    this.numNonEmptyDeques = 0;
    for (let k = 0; k < this.n; k++) this.recover(k, this.past[k].length);
    this.candidate = undefined;
    this.pivot = NO_PIVOT;
    const deque = this.deques[i]; // non-empty: it holds the newer message
    let at = deque.length;
    while (at > 0 && deque[at - 1].stamp > entry.stamp) at--;
    deque.splice(at, 0, entry);
    this.reordered++;
    if (this.numNonEmptyDeques === this.n) this.process();
  }

  private dispatch(): void {
    if (this.dispatching) return; // a callback that calls add(): the outer loop delivers in order
    this.dispatching = true;
    let failure: { error: unknown } | undefined;
    try {
      for (let set = this.ready.shift(); set !== undefined; set = this.ready.shift()) {
        try {
          this.callback(...set);
        } catch (error) {
          failure ??= { error };
        }
      }
    } finally {
      this.dispatching = false;
    }
    if (failure) throw failure.error;
  }

  /** (end - candidate_end) * (1 + age_penalty), truncated to nanoseconds as rclcpp::Duration does. */
  private agedEnd(endTime: bigint): bigint {
    return BigInt(Math.trunc(Number(endTime - this.candidateEnd) * (1 + this.agePenalty)));
  }

  private dequeDeleteFront(i: number): void {
    this.deques[i].shift();
    this.dropped[i]++;
    if (this.deques[i].length === 0) --this.numNonEmptyDeques;
  }

  private dequeMoveFrontToPast(i: number): void {
    this.past[i].push(this.deques[i].shift() as Entry<T[number]>);
    if (this.deques[i].length === 0) --this.numNonEmptyDeques;
  }

  private makeCandidate(): void {
    this.candidate = this.deques.map((d) => d[0]);
    // Messages passed over for an older candidate can no longer be part of any set.
    for (let i = 0; i < this.n; i++) {
      this.dropped[i] += this.past[i].length;
      this.past[i] = [];
    }
  }

  /** Moves the last `count` passed-over messages of input i back to the front of its deque. */
  private recover(i: number, count: number): void {
    const deque = this.deques[i];
    const past = this.past[i];
    for (let k = 0; k < count; k++) deque.unshift(past.pop() as Entry<T[number]>);
    if (deque.length > 0) ++this.numNonEmptyDeques;
  }

  private publishCandidate(): void {
    const set = this.candidate as Entry<T[number]>[];
    this.ready.push(set.map((e) => e.message) as unknown as T);
    for (let i = 0; i < this.n; i++) this.lastEmitted[i] = set[i].stamp;
    this.emitted++;
    this.candidate = undefined;
    this.pivot = NO_PIVOT;
    // Recover hidden messages; the candidate's are then the heads, and are consumed.
    this.numNonEmptyDeques = 0;
    for (let i = 0; i < this.n; i++) {
      this.recover(i, this.past[i].length);
      this.deques[i].shift();
      if (this.deques[i].length === 0) --this.numNonEmptyDeques;
    }
  }

  /**
   * Earliest (end = false) or latest (end = true) of `times`; ties go to the lowest index for the
   * start and the highest for the end, as upstream's comparisons do.
   */
  private static boundary(times: readonly bigint[], end: boolean): [index: number, time: bigint] {
    let index = 0;
    let time = times[0];
    for (let i = 1; i < times.length; i++) {
      if (end ? times[i] >= time : times[i] < time) {
        time = times[i];
        index = i;
      }
    }
    return [index, time];
  }

  private headTimes(): bigint[] {
    return this.deques.map((d) => d[0].stamp);
  }

  /** Head stamps, an empty deque standing for the earliest its next message could be stamped. */
  private virtualTimes(): bigint[] {
    return this.deques.map((d, i) => {
      if (d.length > 0) return d[0].stamp;
      const past = this.past[i];
      const lowerBound = past[past.length - 1].stamp + this.lowerBounds[i];
      return lowerBound > this.pivotTime ? lowerBound : this.pivotTime;
    });
  }

  private process(): void {
    const n = this.n;
    while (this.numNonEmptyDeques === n) {
      const heads = this.headTimes();
      const [endIndex, endTime] = ApproximateTimeSynchronizer.boundary(heads, true);
      const [startIndex, startTime] = ApproximateTimeSynchronizer.boundary(heads, false);
      for (let i = 0; i < n; i++) {
        // No dropped message could have been better than these, so this input may be pivot again.
        if (i !== endIndex) this.hasDroppedMessages[i] = false;
      }
      if (this.pivot === NO_PIVOT) {
        if (endTime - startTime > this.maxInterval || this.hasDroppedMessages[endIndex]) {
          this.dequeDeleteFront(startIndex);
          continue;
        }
        this.makeCandidate();
        this.candidateStart = startTime;
        this.candidateEnd = endTime;
        this.pivot = endIndex;
        this.pivotTime = endTime;
        this.dequeMoveFrontToPast(startIndex);
      } else {
        if (this.agedEnd(endTime) < startTime - this.candidateStart) {
          // A better candidate; the pivot and pivot time stay.
          this.makeCandidate();
          this.candidateStart = startTime;
          this.candidateEnd = endTime;
        }
        this.dequeMoveFrontToPast(startIndex);
      }
      if (startIndex === this.pivot) {
        // Every candidate for this pivot has been seen: the best one is final.
        this.publishCandidate();
      } else if (this.agedEnd(endTime) >= this.pivotTime - this.candidateStart) {
        // Any later candidate must span [pivot time, end time], which is already too wide.
        this.publishCandidate();
      } else if (this.numNonEmptyDeques < n) {
        this.virtualSearch();
      }
    }
  }

  /** With some deques empty, try to prove the candidate optimal using the lower bounds. */
  private virtualSearch(): void {
    const moves = new Array<number>(this.n).fill(0);
    for (;;) {
      const times = this.virtualTimes();
      const [, endTime] = ApproximateTimeSynchronizer.boundary(times, true);
      const [startIndex, startTime] = ApproximateTimeSynchronizer.boundary(times, false);
      const aged = this.agedEnd(endTime);
      if (aged >= this.pivotTime - this.candidateStart) {
        this.publishCandidate(); // also undoes the virtual moves
        return;
      }
      if (aged < startTime - this.candidateStart) {
        // An optimistic future candidate would be better: cannot prove optimality yet.
        this.numNonEmptyDeques = 0;
        for (let i = 0; i < this.n; i++) this.recover(i, moves[i]);
        return;
      }
      // Unreachable with startIndex's deque empty: then startTime >= pivotTime and a test above held.
      this.dequeMoveFrontToPast(startIndex);
      moves[startIndex]++;
    }
  }
}
