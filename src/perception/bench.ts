// `grasp-perception bench`: per-stage latency of the perception pipeline on 640x480 RGB-D messages
// (CDR bytes in, as rclnodejs delivers them with isRaw), and a sustained fixed-rate run through the
// node on the in-process bus (drops, lag growth, RSS). Prints JSON; not a test.
import { InProcessBus, QOS_DEFAULT, QOS_SENSOR_DATA } from '../bus';
import { messageRegistry, type CameraInfo, type Image, type SuctionGraspArray } from '../msg';
import { openModel } from '../models/session';
import { nodeEntry } from '../nodes';
import { decodeRgbdFrame } from '../nodes/rgbd-input';
import { simFrameToMessages } from '../nodes/sim/messages';
import { BinPickingSim } from '../sim';
import { percentile } from '../eval/metrics';
import {
  graspArrayMessage,
  heatmapMessages,
  instanceArrayMessage,
  labelImageMessage,
  poseArrayMessage,
} from './messages';
import { perceive } from './pipeline';

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
}

const stats = (v: number[]) => ({
  p50: +percentile(v, 50).toFixed(2),
  p90: +percentile(v, 90).toFixed(2),
  p99: +percentile(v, 99).toFixed(2),
});

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

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
  const session = await openModel(o.model, { intraOpThreads: o.threads, warmupRuns: 5 });
  const t: Record<string, number[]> = {
    message_decode: [],
    preprocess: [],
    inference: [],
    decode: [],
    grasps: [],
    message_build: [],
    end_to_end: [],
  };
  for (let i = 0; i < o.frames + 5; i++) {
    const s = samples[i % samples.length];
    const start = process.hrtime.bigint();
    const color = reg.deserialize<Image>('sensor_msgs/msg/Image', s.color);
    const depth = reg.deserialize<Image>('sensor_msgs/msg/Image', s.depth);
    const info = reg.deserialize<CameraInfo>('sensor_msgs/msg/CameraInfo', s.info);
    const frame = decodeRgbdFrame(color, depth, info);
    if (!('camera' in frame)) throw new Error(`bench frame is malformed: ${frame.message}`);
    const decoded = ms(start);
    const out = await perceive(session, { color: frame.color, depth: frame.depth, camera: frame.camera });
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
  }
  await session.release();
  const result: Record<string, unknown> = {
    model: session.manifest.name,
    resolution: `${o.width}x${o.height}`,
    frames: o.frames,
    threads: o.threads,
    stages_ms: Object.fromEntries(Object.entries(t).map(([k, v]) => [k, stats(v)])),
  };
  if (o.seconds > 0) result.sustained = await sustained(o, samples);
  return result;
}

/** perception_node on the in-process bus fed at a fixed rate: drops, lag over time, memory. */
async function sustained(
  o: BenchOptions,
  samples: { color: Uint8Array; depth: Uint8Array; info: Uint8Array }[],
): Promise<Record<string, unknown>> {
  const reg = messageRegistry();
  const bus = new InProcessBus({
    argv: [
      '--ros-args',
      '-p',
      `model_file_path:=${o.model}`,
      '-p',
      `intra_op_threads:=${o.threads}`,
      '-p',
      'publish_overlay:=false',
    ],
  });
  const node = await nodeEntry('perception_node').start(bus, { namespace: '/bench' });
  const cam = bus.createNode('bench_camera');
  const pub = {
    color: cam.createPublisher('sensor_msgs/msg/Image', '/bench/color/image_raw', QOS_SENSOR_DATA),
    depth: cam.createPublisher('sensor_msgs/msg/Image', '/bench/aligned_depth/image_raw', QOS_SENSOR_DATA),
    info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/bench/color/camera_info', QOS_SENSOR_DATA),
  };
  const sentAt = new Map<number, number>();
  const lags: { t: number; lag: number }[] = [];
  cam.createSubscription(
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
  const rss0 = process.memoryUsage().rss;
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
    if (sent % 30 === 0) rssMax = Math.max(rssMax, process.memoryUsage().rss);
  }
  await bus.settle();
  await new Promise((r) => setTimeout(r, 300));
  const elapsed = (performance.now() - t0) / 1000;
  await node.stop();
  await bus.shutdown();
  const third = Math.max(1, Math.floor(lags.length / 3));
  const first = lags.slice(0, third).map((l) => l.lag);
  const last = lags.slice(-third).map((l) => l.lag);
  return {
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
    rss_mb_end: +(process.memoryUsage().rss / 2 ** 20).toFixed(1),
  };
}
