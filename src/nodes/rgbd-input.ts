import { type BusNode, param, type QoSProfile, qosProfile, type Subscription, type Timer } from '../bus';
import {
  type CameraModel,
  cameraModelFromInfo,
  decodeDepth,
  type DepthImage,
  ImageFormatError,
  validateColorImage,
} from '../image';
import { type CameraInfo, type Header, type Image } from '../msg';
import { createRgbdSynchronizer, RGBD_INPUT, type RgbdSynchronizer } from '../sync';
import { type Diagnostics } from './diagnostics';

/** The parameters every RGB-D node declares for its input stage. */
export const RGBD_INPUT_PARAMETERS = {
  input_qos: param.string('sensor_data', 'QoS profile of the colour, depth and camera_info inputs', {
    choices: ['sensor_data', 'default', 'system_default'],
  }),
  sync_queue_size: param.integer(10, 'ApproximateTime queue size per input', { range: { from: 1, to: 100 } }),
  sync_max_interval: param.double(0.05, 'Largest stamp spread of a synchronised set, seconds', {
    range: { from: 0, to: 1 },
  }),
};

export const rgbdInputOptions = (p: {
  input_qos: string;
  sync_queue_size: number;
  sync_max_interval: number;
}): RgbdInputOptions => ({
  qos: qosProfile(p.input_qos),
  queueSize: p.sync_queue_size,
  maxIntervalSec: p.sync_max_interval,
});

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

/** One synchronised, decoded and validated RGB-D frame. */
export interface RgbdFrame {
  /** The colour image's header: results are stamped and framed like the input. */
  readonly header: Header;
  readonly color: Image;
  readonly depth: DepthImage;
  readonly camera: CameraModel;
}

/** A frame that could not be used, and why (the error's code and message). */
export interface RgbdFault {
  readonly stream: 'color' | 'depth' | 'camera_info' | 'sync';
  readonly code: string;
  readonly message: string;
}

export interface RgbdInputOptions {
  readonly qos: QoSProfile;
  readonly queueSize: number;
  readonly maxIntervalSec: number;
}

/** Relative input names: remap them, or put the node in the camera's namespace. */
export const RGBD_TOPICS = {
  color: 'color/image_raw',
  depth: 'aligned_depth/image_raw',
  info: 'color/camera_info',
} as const;

/** Checks a synchronised triple and decodes it; pure, so every fault is unit-tested. */
export function decodeRgbdFrame(color: Image, depthMsg: Image, info: CameraInfo): RgbdFrame | RgbdFault {
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
  return { header: color.header, color, depth, camera };
}

/**
 * The input stage every RGB-D node shares: three subscriptions, message_filters ApproximateTime
 * synchronisation, then decode + validate. Faults go to `onFault`; nothing throws into the bus.
 */
export class RgbdInput {
  private readonly subs: Subscription[];
  private readonly sync: RgbdSynchronizer;
  private watch: Timer | undefined;
  /** Messages received per stream (before synchronisation). */
  readonly received = { color: 0, depth: 0, camera_info: 0 };

  constructor(
    node: BusNode,
    options: RgbdInputOptions,
    onFrame: (frame: RgbdFrame) => void,
    onFault: (fault: RgbdFault) => void,
  ) {
    this.sync = createRgbdSynchronizer(
      { queueSize: options.queueSize, maxIntervalSec: options.maxIntervalSec },
      (color, depth, info) => {
        const r = decodeRgbdFrame(color, depth, info);
        if ('stream' in r) onFault(r);
        else onFrame(r);
      },
    );
    this.subs = [
      node.createSubscription('sensor_msgs/msg/Image', RGBD_TOPICS.color, options.qos, (m) => {
        this.received.color++;
        this.sync.add(RGBD_INPUT.color, m);
      }),
      node.createSubscription('sensor_msgs/msg/Image', RGBD_TOPICS.depth, options.qos, (m) => {
        this.received.depth++;
        this.sync.add(RGBD_INPUT.depth, m);
      }),
      node.createSubscription('sensor_msgs/msg/CameraInfo', RGBD_TOPICS.info, options.qos, (m) => {
        this.received.camera_info++;
        this.sync.add(RGBD_INPUT.cameraInfo, m);
      }),
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
   * Call periodically: a fault when messages arrived since the last call but no synchronised set came
   * out of them (a stream missing, or stamps further apart than the slop), else null.
   */
  checkSync(): RgbdFault | null {
    const now = { ...this.received, sets: this.sync.stats().emitted };
    const last = this.lastCheck;
    this.lastCheck = now;
    const arrived = now.color + now.depth + now.camera_info - (last.color + last.depth + last.camera_info);
    if (arrived === 0 || now.sets > last.sets) return null;
    const d = (k: 'color' | 'depth' | 'camera_info') => now[k] - last[k];
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
