import { type BusNode, param, type QoSProfile, qosProfile, type Subscription, type Timer } from '../bus';
import {
  type CameraModel,
  cameraModelFromInfo,
  decodeDepth,
  type DepthImage,
  ImageFormatError,
  validateColorImage,
} from '../image';
import { type CameraInfo, type Header, type Image, timeToNanos } from '../msg';
import { createRgbdSynchronizer, RGBD_INPUT, type RgbdSynchronizer, StampGuard } from '../sync';
import { type DiagnosticEntry, type Diagnostics } from './diagnostics';

/** The parameters every RGB-D node declares for its input stage. */
export const RGBD_INPUT_PARAMETERS = {
  input_qos: param.string('sensor_data', 'QoS profile of the colour, depth and camera_info inputs', {
    choices: ['sensor_data', 'default', 'system_default'],
  }),
  sync_queue_size: param.integer(10, 'ApproximateTime queue size per input', { range: { from: 1, to: 100 } }),
  sync_max_interval: param.double(0.05, 'Largest stamp spread of a synchronised set, seconds', {
    range: { from: 0, to: 1 },
  }),
  min_depth: param.double(0.1, 'Nearest plausible depth, metres; nearer pixels are invalid', {
    range: { from: 0, to: 100 },
  }),
  max_depth: param.double(5.0, 'Farthest plausible depth, metres; farther pixels are invalid', {
    range: { from: 0.001, to: 1000 },
  }),
  min_valid_depth_fraction: param.double(0.5, 'WARN when fewer depth pixels than this are valid', {
    range: { from: 0, to: 1 },
  }),
  future_stamp_tolerance: param.double(
    0.2,
    "Stamps further ahead of this node's wall clock are STAMP_IN_FUTURE (a lone one is dropped), seconds; not judged under use_sim_time",
    { range: { from: 0, to: 60 } },
  ),
  time_jump_threshold: param.double(
    1.0,
    'Stamps or the clock going back by more restart synchronisation with a TIME_JUMP WARN, seconds',
    { range: { from: 0.01, to: 3600 } },
  ),
};

/**
 * Checks what the parameter ranges cannot (min_depth < max_depth); on failure destroys the node and
 * throws one line naming it, as a bad parameter stops a node at start.
 */
export function checkRgbdInputParameters(node: BusNode, p: { min_depth: number; max_depth: number }): void {
  if (p.min_depth < p.max_depth) return;
  node.destroy();
  throw new Error(
    `${node.name}: parameter 'min_depth' (${p.min_depth} m) must be less than 'max_depth' (${p.max_depth} m)`,
  );
}

export const rgbdInputOptions = (p: {
  input_qos: string;
  sync_queue_size: number;
  sync_max_interval: number;
  min_depth: number;
  max_depth: number;
  min_valid_depth_fraction: number;
  future_stamp_tolerance: number;
  time_jump_threshold: number;
}): RgbdInputOptions => {
  return {
    qos: qosProfile(p.input_qos),
    queueSize: p.sync_queue_size,
    maxIntervalSec: p.sync_max_interval,
    depth: { minDepth: p.min_depth, maxDepth: p.max_depth, minValidFraction: p.min_valid_depth_fraction },
    futureToleranceSec: p.future_stamp_tolerance,
    timeJumpSec: p.time_jump_threshold,
  };
};

/** A fault as every RGB-D node reports it: one throttled WARN per fault code, and the 'rgbd input' status. */
export function reportRgbdFault(
  node: BusNode,
  diagnostics: Diagnostics,
  fault: RgbdFault,
  values: Record<string, string | number>,
): void {
  node.logger.throttle('warn', fault.code, 5, `${fault.stream}: ${fault.message}`);
  diagnostics.report('rgbd input', {
    level: 'warn',
    message: `${fault.stream}: ${fault.message}`,
    values: { 'fault code': fault.code, ...values },
  });
}

/** Depth pixels of a frame by kind. */
export interface DepthStats {
  readonly total: number;
  /** Finite and within [minDepth, maxDepth]. */
  readonly valid: number;
  /** No reading (REP 118: 0 or NaN). */
  readonly missing: number;
  /** A reading outside [minDepth, maxDepth] (now invalid: NaN in `depth.metres`). */
  readonly outOfRange: number;
}

/** One synchronised, decoded and validated RGB-D frame. */
export interface RgbdFrame {
  /** The colour image's header: results are stamped and framed like the input. */
  readonly header: Header;
  readonly color: Image;
  /** Metres; every pixel is in [minDepth, maxDepth] or NaN. */
  readonly depth: DepthImage;
  readonly camera: CameraModel;
  readonly depthStats: DepthStats;
  /** Faults that leave the frame usable (most depth invalid, frame_ids that disagree), worst first. */
  readonly warnings: readonly RgbdFault[];
}

/** A frame that could not be used, and why (the error's code and message). */
export interface RgbdFault {
  readonly stream: 'color' | 'depth' | 'camera_info' | 'sync';
  readonly code: string;
  readonly message: string;
}

/** What depth is plausible: a range, and the fraction of valid pixels below which a frame is WARNed. */
export interface DepthLimits {
  readonly minDepth: number;
  readonly maxDepth: number;
  readonly minValidFraction: number;
}

/** Bin picking: a camera some decimetres to a few metres above the bin. */
export const DEFAULT_DEPTH_LIMITS: DepthLimits = { minDepth: 0.1, maxDepth: 5, minValidFraction: 0.5 };

export interface RgbdInputOptions {
  readonly qos: QoSProfile;
  readonly queueSize: number;
  readonly maxIntervalSec: number;
  readonly depth?: DepthLimits;
  /** See the future_stamp_tolerance parameter; default 0.2 s. */
  readonly futureToleranceSec?: number;
  /** See the time_jump_threshold parameter; default 1 s. */
  readonly timeJumpSec?: number;
}

/** Relative input names: remap them, or put the node in the camera's namespace. */
export const RGBD_TOPICS = {
  color: 'color/image_raw',
  depth: 'aligned_depth/image_raw',
  info: 'color/camera_info',
} as const;

/**
 * Marks depth outside [minDepth, maxDepth] invalid (NaN) in place and counts the kinds of pixel;
 * when too few are valid, the warning says why (out of range, with a hint when 32FC1 values look
 * like millimetres or 16UC1 ones are saturated, or simply missing).
 */
export function checkDepthPlausibility(
  metres: Float32Array,
  encoding: string,
  limits: DepthLimits,
): { stats: DepthStats; warning?: RgbdFault } {
  const { minDepth, maxDepth } = limits;
  let valid = 0;
  let missing = 0;
  let outOfRange = 0;
  let asMillimetres = 0; // out-of-range values that would be in range read as millimetres
  let saturated = 0;
  for (let i = 0; i < metres.length; i++) {
    const d = metres[i];
    if (!(d > 0)) {
      missing++;
      continue;
    }
    if (d >= minDepth && d <= maxDepth) {
      valid++;
      continue;
    }
    outOfRange++;
    if (d / 1000 >= minDepth && d / 1000 <= maxDepth) asMillimetres++;
    if (Math.round(d * 1000) === 65535) saturated++;
    metres[i] = NaN;
  }
  const total = metres.length;
  const stats = { total, valid, missing, outOfRange };
  if (total === 0 || valid / total >= limits.minValidFraction) return { stats };
  const pct = (n: number) => `${((100 * n) / total).toFixed(1)} %`;
  if (outOfRange > missing) {
    let hint = '';
    if (encoding === '32FC1' && asMillimetres > outOfRange / 2) {
      hint = ': the values look like millimetres, but 32FC1 depth is metres (REP 118)';
    } else if (encoding !== '32FC1' && saturated > outOfRange / 2) {
      hint = ': they read 65535 mm, the 16-bit maximum (saturated, not a measurement)';
    }
    return {
      stats,
      warning: {
        stream: 'depth',
        code: 'DEPTH_OUT_OF_RANGE',
        message: `${pct(outOfRange)} of depth pixels lie outside min_depth..max_depth (${minDepth}–${maxDepth} m) and are treated as invalid${hint}`,
      },
    };
  }
  return {
    stats,
    warning: {
      stream: 'depth',
      code: 'DEPTH_MOSTLY_INVALID',
      message: `only ${pct(valid)} of depth pixels are valid (${pct(missing)} have no reading); grasps need depth`,
    },
  };
}

/** Checks a synchronised triple and decodes it; pure, so every fault is unit-tested. */
export function decodeRgbdFrame(
  color: Image,
  depthMsg: Image,
  info: CameraInfo,
  limits: DepthLimits = DEFAULT_DEPTH_LIMITS,
): RgbdFrame | RgbdFault {
  const fault = (stream: RgbdFault['stream'], err: unknown): RgbdFault => {
    if (err instanceof ImageFormatError) return { stream, code: err.code, message: err.message };
    throw err;
  };
  try {
    validateColorImage(color);
  } catch (err) {
    return fault('color', err);
  }
  let camera: CameraModel;
  try {
    camera = cameraModelFromInfo(info, color);
  } catch (err) {
    return fault('camera_info', err);
  }
  let depth: DepthImage;
  try {
    depth = decodeDepth(depthMsg);
  } catch (err) {
    return fault('depth', err);
  }
  if (depth.width !== color.width || depth.height !== color.height) {
    return {
      stream: 'depth',
      code: 'DEPTH_NOT_ALIGNED',
      message: `depth is ${depth.width}x${depth.height} but colour is ${color.width}x${color.height}: depth must be aligned to colour`,
    };
  }
  const warnings: RgbdFault[] = [];
  const plausibility = checkDepthPlausibility(depth.metres, depthMsg.encoding, limits);
  if (plausibility.warning) warnings.push(plausibility.warning);
  const ids = [color.header.frame_id, depthMsg.header.frame_id, info.header.frame_id];
  if (ids.some((id) => id !== ids[0])) {
    warnings.push({
      stream: 'sync',
      code: 'FRAME_ID_MISMATCH',
      message: `frame_ids disagree: colour '${ids[0]}', depth '${ids[1]}', camera_info '${ids[2]}' (aligned depth and the colour calibration must be in the colour frame); results use the colour's`,
    });
  }
  return { header: color.header, color, depth, camera, depthStats: plausibility.stats, warnings };
}

/**
 * Reports a frame's input status: its worst warning as the fault, else `ok` (the node's message).
 * Returns whether the frame was clean.
 */
export function reportRgbdFrame(
  node: BusNode,
  diagnostics: Diagnostics,
  frame: RgbdFrame,
  ok: DiagnosticEntry,
  faultValues: Record<string, string | number>,
): boolean {
  if (frame.warnings.length === 0) {
    diagnostics.report('rgbd input', ok);
    return true;
  }
  reportRgbdFault(node, diagnostics, frame.warnings[0], faultValues);
  return false;
}

/**
 * The input stage every RGB-D node shares: three subscriptions, stamp checks (StampGuard), message_filters
 * ApproximateTime synchronisation, then decode + validate + plausibility. Frames that cannot be used
 * and dropped messages go to `onFault`; usable frames (with their warnings) to `onFrame`; nothing
 * throws into the bus.
 */
export class RgbdInput {
  private readonly subs: Subscription[];
  private readonly sync: RgbdSynchronizer;
  private readonly guard: StampGuard;
  private watch: Timer | undefined;
  /** Messages received per stream (before synchronisation). */
  readonly received = { color: 0, depth: 0, camera_info: 0 };
  /** Messages dropped for a stamp in the future, and restarts after time jumped back. */
  private futureDrops = 0;
  private timeJumps = 0;

  constructor(
    private readonly node: BusNode,
    options: RgbdInputOptions,
    onFrame: (frame: RgbdFrame) => void,
    onFault: (fault: RgbdFault) => void,
  ) {
    const jumpSec = options.timeJumpSec ?? 1;
    this.sync = createRgbdSynchronizer(
      { queueSize: options.queueSize, maxIntervalSec: options.maxIntervalSec, timeJumpBackSec: jumpSec },
      (color, depth, info) => {
        const r = decodeRgbdFrame(color, depth, info, options.depth);
        if ('stream' in r) onFault(r);
        else onFrame(r);
      },
    );
    this.guard = new StampGuard({
      futureToleranceSec: options.futureToleranceSec ?? 0.2,
      jumpBackSec: jumpSec,
    });
    /** Counts a message, checks its stamp, and passes it to the synchronizer unless dropped. */
    const receive = (stream: keyof RgbdInput['received'], m: Image | CameraInfo, add: () => void): void => {
      this.received[stream]++;
      const verdict = this.guard.check(
        RGBD_INPUT[stream === 'camera_info' ? 'cameraInfo' : stream],
        timeToNanos(m.header.stamp),
        timeToNanos(this.node.clock.now()),
        !this.node.clock.isSimTime(),
      );
      if (verdict.restart) {
        this.timeJumps++;
        this.sync.reset();
      }
      if (!verdict.accept) this.futureDrops++;
      if (verdict.fault) onFault({ stream, ...verdict.fault });
      if (verdict.accept) add();
    };
    this.subs = [
      node.createSubscription('sensor_msgs/msg/Image', RGBD_TOPICS.color, options.qos, (m) =>
        receive('color', m, () => this.sync.add(RGBD_INPUT.color, m)),
      ),
      node.createSubscription('sensor_msgs/msg/Image', RGBD_TOPICS.depth, options.qos, (m) =>
        receive('depth', m, () => this.sync.add(RGBD_INPUT.depth, m)),
      ),
      node.createSubscription('sensor_msgs/msg/CameraInfo', RGBD_TOPICS.info, options.qos, (m) =>
        receive('camera_info', m, () => this.sync.add(RGBD_INPUT.cameraInfo, m)),
      ),
    ];
  }

  /** Resolved topic names, for diagnostics and logs. */
  topics(): Record<string, string> {
    return {
      'color topic': this.subs[0].topic,
      'depth topic': this.subs[1].topic,
      'info topic': this.subs[2].topic,
    };
  }

  /**
   * Call periodically: a fault when messages arrived since the last good check but no synchronised
   * set came out of them (a stream missing, or stamps further apart than the slop), else null. One
   * message per stream is no evidence (a frame's colour may be waiting for its depth), so a verdict
   * needs two messages of some stream; until then the window grows.
   */
  checkSync(): RgbdFault | null {
    const now = { ...this.received, sets: this.sync.stats().emitted };
    const last = this.lastCheck;
    const d = (k: 'color' | 'depth' | 'camera_info') => now[k] - last[k];
    const most = Math.max(d('color'), d('depth'), d('camera_info'));
    if (now.sets > last.sets || most === 0) {
      this.lastCheck = now;
      return null;
    }
    if (most < 2) return null;
    this.lastCheck = now;
    const missing = (['color', 'depth', 'camera_info'] as const).filter((k) => d(k) === 0);
    return {
      stream: 'sync',
      code: missing.length ? 'STREAM_MISSING' : 'UNSYNCHRONISED',
      message: missing.length
        ? `no ${missing.join(', ')} messages while the other inputs arrive (color ${d('color')}, depth ${d('depth')}, camera_info ${d('camera_info')})`
        : `inputs arrive (color ${d('color')}, depth ${d('depth')}, camera_info ${d('camera_info')}) but never within sync_max_interval of each other`,
    };
  }

  private lastCheck = { color: 0, depth: 0, camera_info: 0, sets: 0 };

  counters(): Record<string, number> {
    const s = this.sync.stats();
    return {
      'synchronised sets': s.emitted,
      'unsynchronised drops': s.dropped,
      'queue drops': this.subs.reduce((n, sub) => n + sub.stats().dropped, 0),
      'future-stamped drops': this.futureDrops,
      'time jumps': this.timeJumps,
    };
  }

  /** Runs checkSync every `periodSec` on the node's clock, faults to `onFault`; stops on destroy(). */
  watchSync(node: BusNode, periodSec: number, onFault: (fault: RgbdFault) => void): void {
    this.watch?.cancel();
    this.watch = node.createTimer(periodSec, () => {
      const fault = this.checkSync();
      if (fault) onFault(fault);
    });
  }

  destroy(): void {
    this.watch?.cancel();
    for (const s of this.subs) s.destroy();
  }
}
