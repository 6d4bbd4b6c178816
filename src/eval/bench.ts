// `grasp-perception bench`: per-stage latency of the perception pipeline on 640x480 RGB-D messages
// (CDR bytes in, as rclnodejs delivers them with isRaw), and a sustained fixed-rate run through
// perception_node (drops, lag growth, RSS): on the in-process bus, and/or with the node as its own
// process on the rclnodejs bus over DDS, measured in the same run. Prints JSON; not a test.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Bus, InProcessBus, QOS_DEFAULT, QOS_SENSOR_DATA } from '../bus';
import { RclnodejsBus } from '../bus/rclnodejs-bus';
import { messageRegistry, PACKAGE_ROOT, type CameraInfo, type Image, type SuctionGraspArray } from '../msg';
import { openModel } from '../models/session';
import { elapsedMs, latencyStats } from '../models/timing';
import { nodeEntry } from '../nodes';
import { decodeRgbdFrame } from '../nodes/rgbd-input';
import { simFrameToMessages } from '../nodes/sim/messages';
import { BinPickingSim } from '../sim';
import { percentile } from '../stats';
import {
  graspArrayMessage,
  heatmapMessages,
  instanceArrayMessage,
  labelImageMessage,
  poseArrayMessage,
} from '../perception/messages';
import { DEFAULT_GRASP_STAGE, type GraspSource, needsModel, perceiveFrame } from '../perception/grasp-source';

export type BenchBus = 'inprocess' | 'rclnodejs' | 'both';

export interface BenchOptions {
  model: string;
  frames: number;
  width: number;
  height: number;
  threads: number;
  /** Sustained run: input rate (Hz) and duration (s); 0 s skips it. */
  rate: number;
  seconds: number;
  scenes: number;
  /** Where the sustained run's perception_node runs; 'both' measures both, one after the other. */
  bus?: BenchBus;
  /** perception_node's grasp_source (default: the node's default); geometric loads no model. */
  graspSource?: GraspSource;
}

const stats = latencyStats;
const ms = elapsedMs;

/** Serialised colour/depth/info triples of a few simulator scenes. */
async function sampleMessages(
  o: BenchOptions,
): Promise<{ color: Uint8Array; depth: Uint8Array; info: Uint8Array }[]> {
  const reg = messageRegistry();
  const out = [];
  for (let s = 0; s < o.scenes; s++) {
    const scale = o.width / 640;
    const sim = await BinPickingSim.random(
      { count: 10, seed: 100 + s },
      { camera: { width: o.width, height: o.height, fx: 615 * scale, fy: 615 * scale } },
    );
    const m = simFrameToMessages(sim.frame({ realism: true }), { sec: s, nanosec: 0 });
    sim.dispose();
    out.push({
      color: reg.serialize('sensor_msgs/msg/Image', m.color),
      depth: reg.serialize('sensor_msgs/msg/Image', m.depth),
      info: reg.serialize('sensor_msgs/msg/CameraInfo', m.info),
    });
  }
  return out;
}

export async function runBench(o: BenchOptions): Promise<Record<string, unknown>> {
  const reg = messageRegistry();
  const samples = await sampleMessages(o);
  const stage = { ...DEFAULT_GRASP_STAGE, source: o.graspSource ?? DEFAULT_GRASP_STAGE.source };
  const session = needsModel(stage.source)
    ? await openModel(o.model, { intraOpThreads: o.threads, warmupRuns: 5 })
    : null;
  const t: Record<string, number[]> = {
    message_decode: [],
    preprocess: [],
    inference: [],
    decode: [],
    grasps: [],
    message_build: [],
    end_to_end: [],
    // CPU time of this process (all its threads) over the same span: on a loaded machine it says what
    // the work costs, where wall time also counts the waits for a core.
    end_to_end_cpu: [],
  };
  for (let i = 0; i < o.frames + 5; i++) {
    const s = samples[i % samples.length];
    const cpu0 = process.cpuUsage();
    const start = process.hrtime.bigint();
    const color = reg.deserialize<Image>('sensor_msgs/msg/Image', s.color);
    const depth = reg.deserialize<Image>('sensor_msgs/msg/Image', s.depth);
    const info = reg.deserialize<CameraInfo>('sensor_msgs/msg/CameraInfo', s.info);
    const frame = decodeRgbdFrame(color, depth, info);
    if (!('camera' in frame)) throw new Error(`bench frame is malformed: ${frame.message}`);
    const decoded = ms(start);
    const out = await perceiveFrame(
      session,
      { color: frame.color, depth: frame.depth, camera: frame.camera },
      undefined,
      stage,
    );
    const t1 = process.hrtime.bigint();
    const { width, height } = frame.camera;
    const msgs = [
      ['grasp_perception/msg/SuctionGraspArray', graspArrayMessage(out.grasps, frame.header)],
      ['geometry_msgs/msg/PoseArray', poseArrayMessage(out.grasps, frame.header)],
      [
        'grasp_perception/msg/ObjectInstanceArray',
        instanceArrayMessage(out.instances, frame.header, width, height),
      ],
      ['sensor_msgs/msg/Image', labelImageMessage(out.labels, width, height, frame.header)],
    ] as const;
    const heat = heatmapMessages(out, frame.header);
    for (const [type, m] of msgs) reg.serialize(type, m);
    reg.serialize('sensor_msgs/msg/Image', heat.suction);
    reg.serialize('sensor_msgs/msg/Image', heat.com);
    const built = ms(t1);
    if (i < 5) continue; // warm-up
    t.message_decode.push(decoded);
    t.preprocess.push(out.times.preprocess_ms);
    t.inference.push(out.times.inference_ms);
    t.decode.push(out.times.decode_ms);
    t.grasps.push(out.times.grasps_ms);
    t.message_build.push(built);
    t.end_to_end.push(ms(start));
    const cpu = process.cpuUsage(cpu0);
    t.end_to_end_cpu.push((cpu.user + cpu.system) / 1000);
  }
  await session?.release();
  const result: Record<string, unknown> = {
    model: session ? session.manifest.name : null,
    grasp_source: stage.source,
    resolution: `${o.width}x${o.height}`,
    frames: o.frames,
    threads: o.threads,
    stages_ms: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)])),
  };
  if (o.seconds > 0) {
    const bus = o.bus ?? 'inprocess';
    if (bus !== 'rclnodejs') result.sustained = await sustained(o, samples, inProcessHarness);
    if (bus !== 'inprocess') result.sustained_rclnodejs = await sustained(o, samples, processHarness);
    if (bus === 'both') result.cross_process_over_in_process = crossProcessRatios(result);
  }
  return result;
}

/** Lag and output-rate ratios of the two sustained runs of one bench run. */
function crossProcessRatios(r: Record<string, unknown>): Record<string, number | null> {
  const a = r.sustained as Record<string, number | null>;
  const b = r.sustained_rclnodejs as Record<string, number | null>;
  const ratio = (k: string) => (a[k] && b[k] ? +((b[k] as number) / (a[k] as number)).toFixed(2) : null);
  return {
    lag_ms_last_third_p50: ratio('lag_ms_last_third_p50'),
    lag_ms_p99: ratio('lag_ms_p99'),
    output_rate_hz: ratio('output_rate_hz'),
  };
}

/** perception_node under test, with the bus this process talks to it on. */
interface Harness {
  bus: Bus;
  /** RSS of the process perception_node runs in, bytes. */
  rss(): number;
  /** Resolves when the node hears the camera and the listener hears the node. */
  ready(matched: () => boolean): Promise<void>;
  stop(): Promise<void>;
}

const nodeArgs = (o: BenchOptions) => [
  '--ros-args',
  '-r',
  '__ns:=/bench',
  '-p',
  `model_file_path:=${path.resolve(o.model)}`,
  '-p',
  `intra_op_threads:=${o.threads}`,
  '-p',
  'publish_overlay:=false',
  ...(o.graspSource ? ['-p', `grasp_source:=${o.graspSource}`] : []),
];

async function inProcessHarness(o: BenchOptions): Promise<Harness> {
  const bus = new InProcessBus({ argv: nodeArgs(o) });
  const node = await nodeEntry('perception_node').start(bus, {});
  return {
    bus,
    rss: () => process.memoryUsage().rss,
    ready: async () => {},
    stop: async () => {
      await node.stop();
      await bus.shutdown();
    },
  };
}

/** perception_node as its own process on the rclnodejs bus (as `ros2 run` starts it); the camera here. */
async function processHarness(o: BenchOptions): Promise<Harness> {
  const bus = await RclnodejsBus.create([]);
  const child = spawn(
    process.execPath,
    [
      path.join(PACKAGE_ROOT, 'bin', 'grasp-perception.js'),
      'run',
      'perception_node',
      '--bus',
      'rclnodejs',
      ...nodeArgs(o),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGINT');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    await bus.shutdown();
  };
  return {
    bus,
    rss: () => {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      return m ? Number(m[1]) * 1024 : 0;
    },
    ready: async (matched) => {
      const end = Date.now() + 60_000;
      while (!matched()) {
        if (child.exitCode !== null || Date.now() > end) {
          await stop();
          throw new Error(
            `perception_node did not come up over DDS within 60 s: ${stderr.trim().split('\n').at(-1) ?? ''}`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    stop,
  };
}

/** perception_node fed at a fixed rate: drops, lag over time, memory of its process. */
async function sustained(
  o: BenchOptions,
  samples: { color: Uint8Array; depth: Uint8Array; info: Uint8Array }[],
  makeHarness: (o: BenchOptions) => Promise<Harness>,
): Promise<Record<string, unknown>> {
  const reg = messageRegistry();
  const harness = await makeHarness(o);
  const { bus } = harness;
  const cam = bus.createNode('bench_camera');
  const pub = {
    color: cam.createPublisher('sensor_msgs/msg/Image', '/bench/color/image_raw', QOS_SENSOR_DATA),
    depth: cam.createPublisher('sensor_msgs/msg/Image', '/bench/aligned_depth/image_raw', QOS_SENSOR_DATA),
    info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/bench/color/camera_info', QOS_SENSOR_DATA),
  };
  const sentAt = new Map<number, number>();
  const lags: { t: number; lag: number }[] = [];
  const grasps = cam.createSubscription(
    'grasp_perception/msg/SuctionGraspArray',
    '/bench/perception_node/suction_grasps',
    QOS_DEFAULT,
    (m: SuctionGraspArray) => {
      const key = m.header.stamp.sec * 1e9 + m.header.stamp.nanosec;
      const sent = sentAt.get(key);
      if (sent !== undefined) {
        lags.push({ t: performance.now(), lag: performance.now() - sent });
        sentAt.delete(key);
      }
    },
  );
  const decoded = samples.map((s) => ({
    color: reg.deserialize<Image>('sensor_msgs/msg/Image', s.color),
    depth: reg.deserialize<Image>('sensor_msgs/msg/Image', s.depth),
    info: reg.deserialize<CameraInfo>('sensor_msgs/msg/CameraInfo', s.info),
  }));
  await harness.ready(
    () =>
      grasps.publisherCount() > 0 &&
      pub.color.subscriptionCount() > 0 &&
      pub.depth.subscriptionCount() > 0 &&
      pub.info.subscriptionCount() > 0,
  );
  const rss0 = harness.rss();
  const t0 = performance.now();
  const period = 1000 / o.rate;
  let sent = 0;
  let rssMax = rss0;
  while (performance.now() - t0 < o.seconds * 1000) {
    const due = t0 + sent * period;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const s = decoded[sent % decoded.length];
    const stamp = { sec: Math.floor(sent / o.rate), nanosec: Math.round(((sent % o.rate) / o.rate) * 1e9) };
    sentAt.set(stamp.sec * 1e9 + stamp.nanosec, performance.now());
    // Cap the bookkeeping of frames that were dropped (never answered).
    if (sentAt.size > 1000) sentAt.delete(sentAt.keys().next().value as number);
    pub.color.publish({ ...s.color, header: { ...s.color.header, stamp } });
    pub.depth.publish({ ...s.depth, header: { ...s.depth.header, stamp } });
    pub.info.publish({ ...s.info, header: { ...s.info.header, stamp } });
    sent++;
    if (sent % 30 === 0) rssMax = Math.max(rssMax, harness.rss());
  }
  await bus.settle();
  await new Promise((r) => setTimeout(r, 300));
  const elapsed = (performance.now() - t0) / 1000;
  const rssEnd = harness.rss();
  await harness.stop();
  const third = Math.max(1, Math.floor(lags.length / 3));
  const first = lags.slice(0, third).map((l) => l.lag);
  const last = lags.slice(-third).map((l) => l.lag);
  return {
    bus: bus.kind,
    rate_hz: o.rate,
    seconds: +elapsed.toFixed(1),
    frames_sent: sent,
    frames_answered: lags.length,
    frames_dropped: sent - lags.length,
    output_rate_hz: +(lags.length / elapsed).toFixed(2),
    lag_ms_first_third_p50: first.length ? +percentile(first, 50).toFixed(2) : null,
    lag_ms_last_third_p50: last.length ? +percentile(last, 50).toFixed(2) : null,
    lag_ms_p99: lags.length
      ? +percentile(
          lags.map((l) => l.lag),
          99,
        ).toFixed(2)
      : null,
    rss_mb_start: +(rss0 / 2 ** 20).toFixed(1),
    rss_mb_max: +(rssMax / 2 ** 20).toFixed(1),
    rss_mb_end: +(rssEnd / 2 ** 20).toFixed(1),
  };
}
