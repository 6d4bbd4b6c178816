import {
  composeTransforms,
  IDENTITY_TRANSFORM,
  interpolateTransforms,
  inverseTransform,
  normalizeQuaternion,
  type PoseLike,
  type RigidTransform,
  transformPoint,
  transformPose,
  type Vec3,
} from '../geometry';
import {
  nanosToTime,
  type PoseStamped,
  type TFMessage,
  type Time,
  timeToNanos,
  timeToSeconds,
  type TransformStamped,
} from '../msg';
import {
  ConnectivityError,
  ExtrapolationError,
  InvalidArgumentError,
  InvalidTransformError,
  LookupError,
  TransformError,
} from './errors';

export const DEFAULT_CACHE_TIME_SEC = 10;
/** tf2's QUATERNION_NORMALIZATION_TOLERANCE, on |q|² − 1. */
const QUATERNION_NORMALIZATION_TOLERANCE = 10e-3;
const TIME_ZERO: Time = Object.freeze({ sec: 0, nanosec: 0 });

export interface TfBufferOptions {
  /** How far behind its newest sample a dynamic link keeps data (tf2's cache_time; default 10 s). */
  readonly cacheTimeSec?: number;
}

export interface IngestResult {
  readonly stored: number;
  /** Older than the cache keeps (tf2's TF_OLD_DATA). */
  readonly ignoredOld: number;
  readonly invalid: readonly InvalidTransformError[];
}

export interface FrameSummary {
  readonly frame: string;
  readonly parent: string;
  readonly authority: string;
  readonly isStatic: boolean;
  readonly samples: number;
  /** Zero for a static link, as tf2 reports. */
  readonly oldest: Time;
  readonly latest: Time;
}

interface TransformSample {
  readonly stamp: bigint;
  /** Per sample, as in tf2: a frame may be re-parented over time. */
  readonly parent: string;
  readonly transform: RigidTransform;
}

/** One frame's link to its parent (tf2's TimeCache or StaticCache). */
interface FrameCache {
  readonly isStatic: boolean;
  authority: string;
  /** Ascending by stamp; a static cache holds exactly one sample, valid at every time. */
  samples: TransformSample[];
}

interface Link {
  readonly parent: string;
  readonly transform: RigidTransform;
}

interface LinkFailure {
  readonly direction: ExtrapolationError['direction'];
  readonly frame: string;
  readonly requested: bigint;
  readonly available: bigint;
}

/** tf2 strips one leading '/' on input (tf1 names were "/base_link"). */
export const normalizeFrameId = (frameId: string): string =>
  frameId.startsWith('/') ? frameId.slice(1) : frameId;

/** tf2's displayTimePoint: seconds with six decimals. */
const displayTime = (ns: bigint): string => timeToSeconds(nanosToTime(ns)).toFixed(6);

const loopError = (frames: Iterable<string>): LookupError =>
  new LookupError(`The tf tree is invalid because it contains a loop (through ${[...frames].join(', ')}).`);

/**
 * A transform tree over time, with tf2 BufferCore's semantics: each frame has one parent link,
 * static (valid at all times) or dynamic (samples kept for `cacheTimeSec`, interpolated between
 * the two around the query time: linear translation, slerp rotation). Lookups go through the
 * frames' nearest common ancestor; time zero means the latest time every link on that path has.
 * Frame ids lose a leading '/'. Error messages follow tf2's wording.
 */
export class TfBuffer {
  readonly cacheTimeSec: number;
  private readonly cacheTimeNs: bigint;
  private readonly frames = new Map<string, FrameCache>();
  /** Every frame ever named, as child or parent: tf2 knows parents that have no link of their own. */
  private readonly known = new Set<string>();

  constructor(options: TfBufferOptions = {}) {
    const cache = options.cacheTimeSec ?? DEFAULT_CACHE_TIME_SEC;
    if (!(cache >= 0) || !Number.isFinite(cache))
      throw new RangeError(`cacheTimeSec must be >= 0, got ${cache}`);
    this.cacheTimeSec = cache;
    this.cacheTimeNs = BigInt(Math.round(cache * 1e9));
  }

  /**
   * Stores one transform (header.frame_id = parent, child_frame_id = child). Returns false for data
   * older than the cache keeps (tf2's TF_OLD_DATA); throws InvalidTransformError where tf2 would
   * log and refuse (self transform, empty frame ids, NaN, non-unit quaternion).
   */
  setTransform(ts: TransformStamped, authority: string, isStatic = false): boolean {
    const child = normalizeFrameId(ts.child_frame_id);
    const parent = normalizeFrameId(ts.header.frame_id);
    const { translation: p, rotation: q } = ts.transform;
    if (child === parent) {
      throw new InvalidTransformError(
        'TF_SELF_TRANSFORM',
        `Ignoring transform from authority "${authority}" with frame_id and child_frame_id "${child}" because they are the same`,
      );
    }
    if (!child) {
      throw new InvalidTransformError(
        'TF_NO_CHILD_FRAME_ID',
        `Ignoring transform from authority "${authority}" because child_frame_id not set`,
      );
    }
    if (!parent) {
      throw new InvalidTransformError(
        'TF_NO_FRAME_ID',
        `Ignoring transform with child_frame_id "${child}" from authority "${authority}" because frame_id not set`,
      );
    }
    if (![p.x, p.y, p.z, q.x, q.y, q.z, q.w].every(Number.isFinite)) {
      throw new InvalidTransformError(
        'TF_NAN_INPUT',
        `Ignoring transform for child_frame_id "${child}" from authority "${authority}" because of a nan value in the transform (${p.x} ${p.y} ${p.z}) (${q.x} ${q.y} ${q.z} ${q.w})`,
      );
    }
    if (Math.abs(q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w - 1) >= QUATERNION_NORMALIZATION_TOLERANCE) {
      throw new InvalidTransformError(
        'TF_DENORMALIZED_QUATERNION',
        `Ignoring transform for child_frame_id "${child}" from authority "${authority}" because of an invalid quaternion in the transform (${q.x} ${q.y} ${q.z} ${q.w})`,
      );
    }
    const sample: TransformSample = {
      stamp: timeToNanos(ts.header.stamp),
      parent,
      transform: { translation: { x: p.x, y: p.y, z: p.z }, rotation: normalizeQuaternion(q) },
    };

    let cache = this.frames.get(child);
    if (!cache || cache.isStatic !== isStatic) {
      // As tf2, switching between static and dynamic replaces the link's history.
      cache = { isStatic, authority, samples: [] };
      this.frames.set(child, cache);
    }
    this.known.add(child);
    this.known.add(parent);
    if (isStatic) {
      cache.samples = [sample];
    } else if (!this.insertSample(cache.samples, sample)) {
      return false;
    }
    cache.authority = authority;
    return true;
  }

  /** Stores every transform of a /tf or /tf_static message; one bad transform does not stop the rest. */
  ingestTfMessage(msg: TFMessage, isStatic: boolean, authority = 'default_authority'): IngestResult {
    let stored = 0;
    let ignoredOld = 0;
    const invalid: InvalidTransformError[] = [];
    for (const ts of msg.transforms) {
      try {
        if (this.setTransform(ts, authority, isStatic)) stored++;
        else ignoredOld++;
      } catch (err) {
        if (!(err instanceof InvalidTransformError)) throw err;
        invalid.push(err);
      }
    }
    return { stored, ignoredOld, invalid };
  }

  /** Drops all dynamic data (e.g. when time jumps back); static links and known frames stay, as tf2. */
  clear(): void {
    for (const cache of this.frames.values()) if (!cache.isStatic) cache.samples = [];
  }

  /**
   * T_target_source at `time`: maps coordinates in `source` into `target`, like tf2's
   * lookupTransform(target_frame, source_frame, time). Time zero means the latest common time (the
   * stamp of the result says which). A time within `toleranceSec` outside a link's data uses
   * that link's nearest sample; further out is an ExtrapolationError.
   */
  lookupTransform(
    target: string,
    source: string,
    time: Time = TIME_ZERO,
    toleranceSec = 0,
  ): TransformStamped {
    const tgt = this.frameArgument(target, 'lookupTransform argument target_frame');
    const src = this.frameArgument(source, 'lookupTransform argument source_frame');
    if (!(toleranceSec >= 0) || !Number.isFinite(toleranceSec)) {
      throw new InvalidArgumentError(`tolerance must be a finite number >= 0, got ${toleranceSec}`);
    }
    let t = timeToNanos(time);
    if (tgt === src) {
      // tf2 answers identity even for a frame it has never heard of.
      if (t === 0n) t = this.latestTimestamp(tgt);
      return this.stamped(tgt, src, t, IDENTITY_TRANSFORM);
    }
    this.requireKnown(tgt, 'lookupTransform argument target_frame');
    this.requireKnown(src, 'lookupTransform argument source_frame');
    if (t === 0n) t = this.latestCommonTimeNs(tgt, src);
    const transform = this.walk(tgt, src, t, BigInt(Math.round(toleranceSec * 1e9)));
    return this.stamped(tgt, src, t, transform);
  }

  canTransform(target: string, source: string, time: Time = TIME_ZERO, toleranceSec = 0): boolean {
    try {
      this.lookupTransform(target, source, time, toleranceSec);
      return true;
    } catch (err) {
      if (err instanceof TransformError) return false;
      throw err;
    }
  }

  /** The latest time at which every link between the two frames has data (zero if all static). */
  getLatestCommonTime(target: string, source: string): Time {
    const tgt = this.frameArgument(target, 'getLatestCommonTime argument target_frame');
    const src = this.frameArgument(source, 'getLatestCommonTime argument source_frame');
    if (tgt === src) return nanosToTime(this.latestTimestamp(tgt));
    this.requireKnown(tgt, 'getLatestCommonTime argument target_frame');
    this.requireKnown(src, 'getLatestCommonTime argument source_frame');
    return nanosToTime(this.latestCommonTimeNs(tgt, src));
  }

  /** A point given in `source`, expressed in `target`. */
  transformPoint(target: string, source: string, point: Vec3, time?: Time, toleranceSec = 0): Vec3 {
    return transformPoint(this.lookupTransform(target, source, time, toleranceSec).transform, point);
  }

  /** A pose given in `source`, expressed in `target`. */
  transformPose(target: string, source: string, pose: PoseLike, time?: Time, toleranceSec = 0): PoseLike {
    return transformPose(this.lookupTransform(target, source, time, toleranceSec).transform, pose);
  }

  /** As tf2_geometry_msgs: looks up at the pose's own stamp and frame; the result carries the transform's header. */
  transformPoseStamped(pose: PoseStamped, target: string, toleranceSec = 0): PoseStamped {
    const t = this.lookupTransform(target, pose.header.frame_id, pose.header.stamp, toleranceSec);
    return { header: { ...t.header }, pose: transformPose(t.transform, pose.pose) };
  }

  allFrameNames(): string[] {
    return [...this.known].sort();
  }

  /** Each link, for diagnostics (like tf2's allFramesAsYAML). */
  describeFrames(): FrameSummary[] {
    return [...this.frames.entries()]
      .filter(([, c]) => c.samples.length > 0)
      .map(([frame, c]) => ({
        frame,
        parent: c.samples[c.samples.length - 1].parent,
        authority: c.authority,
        isStatic: c.isStatic,
        samples: c.samples.length,
        oldest: c.isStatic ? { ...TIME_ZERO } : nanosToTime(c.samples[0].stamp),
        latest: c.isStatic ? { ...TIME_ZERO } : nanosToTime(c.samples[c.samples.length - 1].stamp),
      }))
      .sort((a, b) => a.frame.localeCompare(b.frame));
  }

  /** tf2 TimeCache::insertData, keeping a sorted array; a repeated stamp replaces the older sample. */
  private insertSample(samples: TransformSample[], sample: TransformSample): boolean {
    const latest = samples.length > 0 ? samples[samples.length - 1].stamp : undefined;
    if (latest !== undefined && sample.stamp + this.cacheTimeNs < latest) return false;
    let i = samples.length;
    while (i > 0 && samples[i - 1].stamp > sample.stamp) i--;
    if (i > 0 && samples[i - 1].stamp === sample.stamp) samples[i - 1] = sample;
    else samples.splice(i, 0, sample);
    const newest = samples[samples.length - 1].stamp;
    let expired = 0;
    while (samples[expired].stamp + this.cacheTimeNs < newest) expired++;
    if (expired > 0) samples.splice(0, expired);
    return true;
  }

  private frameArgument(frameId: string, argument: string): string {
    const frame = normalizeFrameId(frameId);
    if (!frame) {
      throw new InvalidArgumentError(
        `Invalid argument "${frameId}" passed to ${argument} - in tf2 frame_ids cannot be empty`,
      );
    }
    return frame;
  }

  private requireKnown(frame: string, argument: string): void {
    if (!this.known.has(frame)) throw new LookupError(`"${frame}" passed to ${argument} does not exist. `);
  }

  private stamped(target: string, source: string, t: bigint, transform: RigidTransform): TransformStamped {
    return {
      header: { stamp: nanosToTime(t), frame_id: target },
      child_frame_id: source,
      transform: {
        translation: { ...transform.translation },
        rotation: { ...transform.rotation },
      },
    };
  }

  /** A frame's newest dynamic stamp; zero for a static or unknown frame. */
  private latestTimestamp(frame: string): bigint {
    const cache = this.frames.get(frame);
    if (!cache || cache.isStatic || cache.samples.length === 0) return 0n;
    return cache.samples[cache.samples.length - 1].stamp;
  }

  /** The latest sample of a frame's link (undefined for a root, or a dynamic link with no data). */
  private latestLink(frame: string): { parent: string; stamp: bigint | undefined } | undefined {
    const cache = this.frames.get(frame);
    if (!cache || cache.samples.length === 0) return undefined;
    const last = cache.samples[cache.samples.length - 1];
    return { parent: last.parent, stamp: cache.isStatic ? undefined : last.stamp };
  }

  /** tf2 BufferCore::getLatestCommonTime: the least newest-stamp over the dynamic links below the common ancestor. */
  private latestCommonTimeNs(target: string, source: string): bigint {
    const sourceFrames = [source];
    const sourceStamps: (bigint | undefined)[] = [];
    for (let link = this.latestLink(source); link; link = this.latestLink(link.parent)) {
      if (sourceFrames.includes(link.parent)) throw loopError(sourceFrames);
      sourceStamps.push(link.stamp);
      sourceFrames.push(link.parent);
    }
    const targetStamps: (bigint | undefined)[] = [];
    const targetFrames = [target];
    let frame = target;
    while (!sourceFrames.includes(frame)) {
      const link = this.latestLink(frame);
      if (!link) throw this.connectivityError(target, source);
      if (targetFrames.includes(link.parent)) throw loopError(targetFrames);
      targetStamps.push(link.stamp);
      targetFrames.push(link.parent);
      frame = link.parent;
    }
    const stamps = [...sourceStamps.slice(0, sourceFrames.indexOf(frame)), ...targetStamps];
    let common: bigint | undefined;
    for (const s of stamps) if (s !== undefined && (common === undefined || s < common)) common = s;
    return common ?? 0n;
  }

  /** One link's transform at time t (tf2 TimeCache::getData), or why there is none. */
  private linkAt(frame: string, cache: FrameCache, t: bigint, toleranceNs: bigint): Link | LinkFailure {
    const s = cache.samples;
    if (cache.isStatic) return s[0];
    if (s.length === 0) return { direction: 'no_data', frame, requested: t, available: 0n };
    const first = s[0];
    const last = s[s.length - 1];
    if (t === 0n) return last; // tf2: time zero is the newest sample
    const within = (a: bigint, b: bigint) => (a > b ? a - b : b - a) <= toleranceNs;
    if (s.length === 1) {
      return within(t, first.stamp)
        ? first
        : { direction: 'no_data', frame, requested: t, available: first.stamp };
    }
    if (t > last.stamp) {
      return within(t, last.stamp)
        ? last
        : { direction: 'future', frame, requested: t, available: last.stamp };
    }
    if (t < first.stamp) {
      return within(t, first.stamp)
        ? first
        : { direction: 'past', frame, requested: t, available: first.stamp };
    }
    // Binary search for the first sample at or after t.
    let lo = 0;
    let hi = s.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (s[mid].stamp < t) lo = mid + 1;
      else hi = mid;
    }
    const newer = s[lo];
    if (newer.stamp === t) return newer;
    const older = s[lo - 1];
    // tf2 does not interpolate across a change of parent: the older sample holds until the newer.
    if (older.parent !== newer.parent) return older;
    const ratio = Number(t - older.stamp) / Number(newer.stamp - older.stamp);
    return {
      parent: older.parent,
      transform: interpolateTransforms(older.transform, newer.transform, ratio),
    };
  }

  private extrapolationError(f: LinkFailure, target: string, source: string): ExtrapolationError {
    const requested = displayTime(f.requested);
    const available = displayTime(f.available);
    const what =
      f.direction === 'future'
        ? `into the future.  Requested time ${requested} but the latest data is at time ${available}`
        : f.direction === 'past'
          ? `into the past.  Requested time ${requested} but the earliest data is at time ${available}`
          : `at time ${requested}, but only time ${available} is in the buffer`;
    return new ExtrapolationError(
      `Lookup would require extrapolation ${what}, when looking up transform from frame [${source}] to frame [${target}]`,
      f.direction,
      f.frame,
      nanosToTime(f.requested),
      nanosToTime(f.available),
    );
  }

  private connectivityError(target: string, source: string): ConnectivityError {
    return new ConnectivityError(
      `Could not find a connection between '${target}' and '${source}' because they are not part of the same tree.` +
        'Tf has two or more unconnected trees.',
    );
  }

  /**
   * tf2's walkToTopParent: climb from the source to its root, then from the target until a frame
   * of the source's chain (the common ancestor); compose only the links below it.
   */
  private walk(target: string, source: string, t: bigint, toleranceNs: bigint): RigidTransform {
    const sourceFrames = [source];
    const sourceLinks: RigidTransform[] = [];
    let sourceFailure: LinkFailure | undefined;
    for (let cache = this.frames.get(source); cache;) {
      const link = this.linkAt(sourceFrames[sourceFrames.length - 1], cache, t, toleranceNs);
      if (!('parent' in link)) {
        // The path may still close below this link, so report it only if it does not.
        sourceFailure = link;
        break;
      }
      if (sourceFrames.includes(link.parent)) throw loopError(sourceFrames);
      sourceLinks.push(link.transform);
      sourceFrames.push(link.parent);
      cache = this.frames.get(link.parent);
    }

    const targetFrames = [target];
    const targetLinks: RigidTransform[] = [];
    let frame = target;
    while (!sourceFrames.includes(frame)) {
      const cache = this.frames.get(frame);
      if (!cache) {
        if (sourceFailure) throw this.extrapolationError(sourceFailure, target, source);
        throw this.connectivityError(target, source);
      }
      const link = this.linkAt(frame, cache, t, toleranceNs);
      if (!('parent' in link)) throw this.extrapolationError(link, target, source);
      if (targetFrames.includes(link.parent)) throw loopError(targetFrames);
      targetLinks.push(link.transform);
      targetFrames.push(link.parent);
      frame = link.parent;
    }

    const ancestorFromSource = sourceLinks
      .slice(0, sourceFrames.indexOf(frame))
      .reduce<RigidTransform>((acc, link) => composeTransforms(link, acc), IDENTITY_TRANSFORM);
    const ancestorFromTarget = targetLinks.reduce<RigidTransform>(
      (acc, link) => composeTransforms(link, acc),
      IDENTITY_TRANSFORM,
    );
    return composeTransforms(inverseTransform(ancestorFromTarget), ancestorFromSource);
  }
}
