// `grasp-perception fuzz`: hostile camera-driver message sets through perception_node on the
// in-process bus. Each set carries one injected fault whose expected fault code follows from the
// injection (not from the node's answer); a valid set follows each one. Counted: crashes (errors that
// escape the node), non-finite values in anything published, sets whose expected code was reported,
// valid sets answered, and valid sets that raised a fault. The jest suite runs a few hundred sets;
// the command runs as many as asked (README: reliability note).
import { type Command } from 'commander';
import { InProcessBus, LogConfig, type LogRecord, QOS_DEFAULT, QOS_SENSOR_DATA } from '../bus';
import { decodeFloat32Image, encodeDepth16, encodeFloat32Image } from '../image';
import {
  type CameraInfo,
  type DiagnosticArray,
  type Image,
  type MessageTypeName,
  nanosToTime,
  type Time,
  timeToNanos,
} from '../msg';
import { nodeEntry } from '../nodes';
import { simFrameToMessages } from '../nodes/sim/messages';
import { BinPickingSim, Rng, type SimFrame } from '../sim';

/** One message set as a camera driver would publish it. */
interface MessageSet {
  color: Image;
  depth: Image;
  info: CameraInfo;
}

interface FaultKind {
  readonly name: string;
  /** The fault code this injection must raise. */
  readonly expected: string;
  /** Turns a valid set (stamped `stamp`) into the faulty one. */
  readonly inject: (set: MessageSet, rng: Rng, stamp: Time) => MessageSet;
}

const withStamp = <T extends { header: { stamp: Time; frame_id: string } }>(m: T, stamp: Time): T => ({
  ...m,
  header: { ...m.header, stamp },
});
const shifted = (stamp: Time, seconds: number): Time =>
  nanosToTime(timeToNanos(stamp) + BigInt(Math.round(seconds * 1e9)));
const restamp = (s: MessageSet, stamp: Time): MessageSet => ({
  color: withStamp(s.color, stamp),
  depth: withStamp(s.depth, stamp),
  info: withStamp(s.info, stamp),
});
const depthMetres = (s: MessageSet): Float32Array => {
  const d = s.depth;
  const mm = new Uint16Array(d.data.buffer, d.data.byteOffset, d.width * d.height);
  return Float32Array.from(mm, (v) => (v === 0 ? NaN : v / 1000));
};
const depth32 = (s: MessageSet, f: (metres: number, i: number) => number): Image =>
  encodeFloat32Image(depthMetres(s).map(f), s.depth.width, s.depth.height, s.depth.header);
const withK = (s: MessageSet, edit: (k: Float64Array) => void): MessageSet => {
  const k = Float64Array.from(s.info.k);
  edit(k);
  return { ...s, info: { ...s.info, k } };
};

/** Every kind of hostile set, with the fault code it must raise. */
export const FAULT_KINDS: readonly FaultKind[] = [
  {
    name: 'colour encoding unknown',
    expected: 'UNKNOWN_ENCODING',
    inject: (s, rng) => ({ ...s, color: { ...s.color, encoding: rng.pick(['yuv422_x', 'rgb9', '']) } }),
  },
  {
    name: 'colour data truncated',
    expected: 'DATA_TRUNCATED',
    inject: (s, rng) => ({
      ...s,
      color: { ...s.color, data: s.color.data.subarray(0, 1 + rng.int(s.color.data.length - 1)) },
    }),
  },
  {
    name: 'colour step too small',
    expected: 'STEP_TOO_SMALL',
    inject: (s, rng) => ({ ...s, color: { ...s.color, step: rng.int(s.color.width * 3) } }),
  },
  {
    name: 'colour is_bigendian garbage',
    expected: 'BAD_ENDIANNESS',
    inject: (s, rng) => ({ ...s, color: { ...s.color, is_bigendian: 2 + rng.int(250) } }),
  },
  {
    name: 'colour image as depth',
    expected: 'WRONG_ENCODING',
    inject: (s) => ({ ...s, depth: { ...s.color, header: s.depth.header } }),
  },
  {
    name: 'depth not aligned (half size)',
    expected: 'DEPTH_NOT_ALIGNED',
    inject: (s) => {
      const w = s.depth.width >> 1;
      const h = s.depth.height >> 1;
      return { ...s, depth: encodeDepth16(new Float32Array(w * h).fill(0.7), w, h, s.depth.header) };
    },
  },
  {
    name: '32FC1 depth in millimetres',
    expected: 'DEPTH_OUT_OF_RANGE',
    inject: (s) => ({ ...s, depth: depth32(s, (m) => m * 1000) }),
  },
  {
    name: '32FC1 depth of 1e30–3e38 m',
    expected: 'DEPTH_OUT_OF_RANGE',
    inject: (s, rng) => {
      const v = 10 ** rng.uniform(30, 38.4);
      return { ...s, depth: depth32(s, () => v) };
    },
  },
  {
    name: 'saturated 16UC1 depth (65535 mm)',
    expected: 'DEPTH_OUT_OF_RANGE',
    inject: (s) => ({
      ...s,
      depth: encodeDepth16(
        new Float32Array(s.depth.width * s.depth.height).fill(65.535),
        s.depth.width,
        s.depth.height,
        s.depth.header,
      ),
    }),
  },
  {
    name: 'depth all zero',
    expected: 'DEPTH_MOSTLY_INVALID',
    inject: (s) => ({
      ...s,
      depth: encodeDepth16(
        new Float32Array(s.depth.width * s.depth.height),
        s.depth.width,
        s.depth.height,
        s.depth.header,
      ),
    }),
  },
  {
    name: '32FC1 depth NaN, ±Inf or negative',
    expected: 'DEPTH_MOSTLY_INVALID',
    inject: (s, rng) => {
      const v = rng.pick([NaN, Infinity, -Infinity, -rng.uniform(0.1, 1e6)]);
      return { ...s, depth: depth32(s, () => v) };
    },
  },
  {
    name: 'camera_info K all zeros',
    expected: 'INTRINSICS_MISSING',
    inject: (s) => withK(s, (k) => k.fill(0)),
  },
  {
    name: 'focal length absurd (1e-12 … 1e12, or NaN)',
    expected: 'BAD_INTRINSICS',
    inject: (s, rng) => {
      const v = rng.pick([1e-12, 1e-3 * rng.next(), 1e12, NaN, -615, 0]);
      return withK(s, (k) => (k[rng.int(2) === 0 ? 0 : 4] = v));
    },
  },
  {
    name: 'principal point off the sensor',
    expected: 'BAD_INTRINSICS',
    inject: (s, rng) => {
      const v = rng.pick([1e12, -1, -1e6, s.info.width * rng.uniform(1.01, 100), Infinity]);
      return withK(s, (k) => (k[rng.int(2) === 0 ? 2 : 5] = v));
    },
  },
  {
    name: 'camera_info size differs from the image',
    expected: 'SIZE_MISMATCH',
    inject: (s, rng) => ({ ...s, info: { ...s.info, width: s.info.width * (2 + rng.int(3)) } }),
  },
  {
    name: 'distortion non-finite',
    expected: 'BAD_DISTORTION',
    inject: (s, rng) => {
      const d = Float64Array.from(s.info.d);
      d[rng.int(d.length)] = rng.pick([NaN, Infinity, -Infinity]);
      return { ...s, info: { ...s.info, d } };
    },
  },
  {
    name: 'K of the wrong length',
    expected: 'BAD_MATRIX_SIZE',
    inject: (s, rng) => ({ ...s, info: { ...s.info, k: new Float64Array(rng.pick([0, 4, 8, 10, 16])) } }),
  },
  {
    name: 'depth or camera_info in another frame',
    expected: 'FRAME_ID_MISMATCH',
    inject: (s, rng) =>
      rng.int(2) === 0
        ? {
            ...s,
            depth: { ...s.depth, header: { ...s.depth.header, frame_id: 'camera_depth_optical_frame' } },
          }
        : {
            ...s,
            info: { ...s.info, header: { ...s.info.header, frame_id: rng.pick(['', 'camera_link']) } },
          },
  },
  {
    name: 'set stamped 0.5–10 s in the future',
    expected: 'STAMP_IN_FUTURE',
    inject: (s, rng, stamp) => restamp(s, shifted(stamp, rng.uniform(0.5, 10))),
  },
  {
    name: 'stamps jump back 2–100 s',
    expected: 'TIME_JUMP',
    inject: (s, rng, stamp) => restamp(s, shifted(stamp, -rng.uniform(2, 100))),
  },
];

export interface FuzzOptions {
  sets: number;
  seed: number;
  width: number;
  height: number;
  onProgress?: (done: number) => void;
}

export interface FuzzReport {
  sets: number;
  seed: number;
  resolution: string;
  /** Errors that escaped the node (thrown out of the bus) or ERROR logs (inference failed). */
  crashes: number;
  /** Numbers that are NaN or ±Inf in any message perception_node published. */
  non_finite_outputs: number;
  non_finite_by_topic: Record<string, number>;
  messages_scanned: number;
  /** Fault sets whose expected fault code was reported on /diagnostics. */
  expected_code: number;
  expected_code_rate: number;
  /** Valid sets (one after each fault set) answered with grasps. */
  valid_answered: number;
  valid_answered_rate: number;
  /** Valid sets that raised any fault. */
  valid_with_fault: number;
  /** What valid sets raised, and the fault set before them. */
  valid_faults: Record<string, number>;
  /** Per kind: sets, and the codes reported when they were not the expected one. */
  per_kind: Record<string, { sets: number; expected: number; got: Record<string, number> }>;
  seconds: number;
  /** Before the model loads, after the first tenth of the sets, at the end. */
  rss_mb: { start: number; after_tenth: number; end: number };
}

/**
 * Counts NaN/±Inf numbers anywhere in a message, 32FC1 image data included, and diagnostic values
 * (KeyValue strings) that print one. Free text is not counted: a fault message quotes the bad input.
 */
export function countNonFinite(value: unknown): number {
  if (typeof value === 'number') return Number.isFinite(value) ? 0 : 1;
  if (value instanceof Float32Array || value instanceof Float64Array) {
    let n = 0;
    for (const v of value) if (!Number.isFinite(v)) n++;
    return n;
  }
  if (ArrayBuffer.isView(value) || value === null || typeof value !== 'object') return 0;
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countNonFinite(v), 0);
  const kv = value as { key?: unknown; value?: unknown };
  if (typeof kv.key === 'string' && typeof kv.value === 'string') {
    return /\b(NaN|-?Infinity)\b/.test(kv.value) ? 1 : 0;
  }
  const img = value as Partial<Image>;
  let n = 0;
  if (img.encoding === '32FC1' && img.data instanceof Uint8Array) {
    n += countNonFinite(decodeFloat32Image(img as Image).values);
  }
  for (const [k, v] of Object.entries(value))
    if (k !== 'data' || img.encoding !== '32FC1') n += countNonFinite(v);
  return n;
}

const PERCEPTION_OUTPUTS: [string, MessageTypeName][] = [
  ['suction_grasps', 'grasp_perception/msg/SuctionGraspArray'],
  ['suction_poses', 'geometry_msgs/msg/PoseArray'],
  ['instances', 'grasp_perception/msg/ObjectInstanceArray'],
  ['instance_labels', 'sensor_msgs/msg/Image'],
  ['suction_heatmap', 'sensor_msgs/msg/Image'],
  ['com_heatmap', 'sensor_msgs/msg/Image'],
  ['overlay', 'sensor_msgs/msg/Image'],
  ['markers', 'visualization_msgs/msg/MarkerArray'],
];

/** Runs the fuzz campaign; deterministic for a seed (apart from timing figures). */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const rssStart = process.memoryUsage().rss;
  let rssTenth = rssStart;
  const rng = new Rng(o.seed);
  const scale = o.width / 640;
  const scenes: SimFrame[] = [];
  for (let i = 0; i < 3; i++) {
    const sim = await BinPickingSim.random(
      { count: 4 + i * 3, seed: o.seed * 10 + i },
      { camera: { width: o.width, height: o.height, fx: 615 * scale, fy: 615 * scale } },
    );
    scenes.push(sim.frame({ realism: true, frameSeed: o.seed + i }));
    sim.dispose();
  }
  const logs: LogRecord[] = [];
  const bus = new InProcessBus({ logConfig: new LogConfig('warn', (r) => logs.push(r)) });
  const running = await nodeEntry('perception_node').start(bus, { namespace: '/cam' });
  const cam = bus.createNode('hostile_camera');
  const pub = {
    color: cam.createPublisher('sensor_msgs/msg/Image', '/cam/color/image_raw', QOS_SENSOR_DATA),
    depth: cam.createPublisher('sensor_msgs/msg/Image', '/cam/aligned_depth/image_raw', QOS_SENSOR_DATA),
    info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/cam/color/camera_info', QOS_SENSOR_DATA),
  };
  let answered = 0;
  let scanned = 0;
  let nonFinite = 0;
  const nonFiniteByTopic: Record<string, number> = {};
  for (const [topic, type] of PERCEPTION_OUTPUTS) {
    cam.createSubscription(type, `/cam/perception_node/${topic}`, QOS_DEFAULT, (m: unknown) => {
      scanned++;
      const n = countNonFinite(m);
      nonFinite += n;
      if (n > 0) nonFiniteByTopic[topic] = (nonFiniteByTopic[topic] ?? 0) + n;
      if (topic === 'suction_grasps') answered++;
    });
  }
  /** Fault codes /diagnostics reported for the rgbd input since the last take(). */
  const codes: string[] = [];
  cam.createSubscription(
    'diagnostic_msgs/msg/DiagnosticArray',
    '/diagnostics',
    QOS_DEFAULT,
    (m: DiagnosticArray) => {
      scanned++;
      const n = countNonFinite(m);
      nonFinite += n;
      if (n > 0) nonFiniteByTopic['/diagnostics'] = (nonFiniteByTopic['/diagnostics'] ?? 0) + n;
      for (const s of m.status) {
        const code = s.values.find((v) => v.key === 'fault code')?.value;
        if (s.level !== 0 && code) codes.push(code);
      }
    },
  );
  const take = (): string[] => codes.splice(0);

  let crashes = 0;
  const send = async (s: MessageSet): Promise<void> => {
    try {
      pub.color.publish(s.color);
      pub.depth.publish(s.depth);
      pub.info.publish(s.info);
      await bus.settle();
      await running.idle?.();
      await bus.settle();
    } catch {
      crashes++;
    }
  };
  // A camera's stamps increase: sets sent within one clock tick (ms) are spaced by a millisecond.
  let lastStamp = 0n;
  const nextStamp = (): Time => {
    const now = timeToNanos(cam.clock.now());
    lastStamp = now > lastStamp ? now : lastStamp + 1_000_000n;
    return nanosToTime(lastStamp);
  };
  const valid = (): MessageSet => simFrameToMessages(rng.pick(scenes), nextStamp());

  const perKind: FuzzReport['per_kind'] = {};
  let expectedHits = 0;
  let validAnswered = 0;
  let validWithFault = 0;
  const validFaults: Record<string, number> = {};
  await send(valid()); // the first frame: the node's baseline
  take();
  for (let i = 0; i < o.sets; i++) {
    const kind = rng.pick(FAULT_KINDS);
    const base = valid();
    await send(kind.inject(base, rng, base.color.header.stamp));
    const got = take();
    const k = (perKind[kind.name] ??= { sets: 0, expected: 0, got: {} });
    k.sets++;
    if (got.includes(kind.expected)) {
      k.expected++;
      expectedHits++;
    } else {
      const key = got.join('+') || 'none';
      k.got[key] = (k.got[key] ?? 0) + 1;
    }
    // The periodic /diagnostics message may repeat the fault set's state while the valid set is in
    // flight: only a new code, or the node's state after the set, counts against the valid set.
    const input = () => running.diagnostics?.entry('rgbd input');
    const stale = input()?.level === 'ok' ? undefined : input()?.values['fault code'];
    const before = answered;
    await send(valid());
    if (answered > before) validAnswered++;
    const raised = take().filter((c) => c !== stale);
    if (input()?.level !== 'ok') raised.push(String(input()?.values['fault code'] ?? input()?.message));
    if (raised.length > 0) {
      validWithFault++;
      const key = `${raised.join('+')} (after: ${kind.name})`;
      validFaults[key] = (validFaults[key] ?? 0) + 1;
    }
    if (i + 1 === Math.ceil(o.sets / 10)) rssTenth = process.memoryUsage().rss;
    o.onProgress?.(i + 1);
  }
  crashes += logs.filter((l) => l.level === 'error' || l.level === 'fatal').length;
  await running.stop();
  await bus.shutdown();
  const mb = (b: number) => Math.round(b / 2 ** 20);
  return {
    sets: o.sets,
    seed: o.seed,
    resolution: `${o.width}x${o.height}`,
    crashes,
    non_finite_outputs: nonFinite,
    non_finite_by_topic: nonFiniteByTopic,
    messages_scanned: scanned,
    expected_code: expectedHits,
    expected_code_rate: o.sets ? expectedHits / o.sets : 1,
    valid_answered: validAnswered,
    valid_answered_rate: o.sets ? validAnswered / o.sets : 1,
    valid_with_fault: validWithFault,
    valid_faults: validFaults,
    per_kind: perKind,
    seconds: (Date.now() - started) / 1000,
    rss_mb: { start: mb(rssStart), after_tenth: mb(rssTenth), end: mb(process.memoryUsage().rss) },
  };
}

export function registerFuzzCommand(
  program: Command,
  io: { out: (s: string) => void },
  integer: (name: string, lo: number, hi: number) => (v: string) => number,
): void {
  program
    .command('fuzz')
    .description(
      'hostile camera-driver message sets through perception_node (one injected fault each, a valid set after each); prints JSON',
    )
    .option('--sets <n>', 'fault sets', integer('--sets', 1, 10_000_000), 10_000)
    .option('--seed <n>', 'random seed', integer('--seed', 0, 2 ** 31 - 1), 1)
    .option('--width <px>', 'image width', integer('--width', 32, 1920), 128)
    .option('--height <px>', 'image height', integer('--height', 24, 1080), 96)
    .action(async (opts: { sets: number; seed: number; width: number; height: number }) => {
      const step = Math.max(1, Math.floor(opts.sets / 20));
      const report = await runFuzz({
        ...opts,
        onProgress: (done) => {
          if (done % step === 0) process.stderr.write(`fuzz: ${done}/${opts.sets} sets\n`);
        },
      });
      io.out(`${JSON.stringify(report, null, 2)}\n`);
    });
}
