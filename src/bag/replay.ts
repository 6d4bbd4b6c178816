// `grasp-perception replay`: a recorded bag's colour, depth and camera_info (raw or compressed) fed
// through perception_node and segmentation_node on the in-process bus; inputs and every output are
// written to a new MCAP with their schemas, so Foxglove opens it. `sim record` writes such bags.
import { InProcessBus, QOS_DEFAULT } from '../bus';
import { decodeCompressedImage, encodeCompressedImage, encodeDepth16, ImageFormatError } from '../image';
import { type CameraInfo, type CompressedImage, type Image, type MessageTypeName, type Time } from '../msg';
import { nodeEntry, type RunningNode } from '../nodes';
import { simFrameToMessages } from '../nodes/sim/messages';
import { BinPickingSim } from '../sim';
import { BagWriter, bagTopics, readBag } from './mcap';

const IMAGE = 'sensor_msgs/msg/Image';
const COMPRESSED = 'sensor_msgs/msg/CompressedImage';
const INFO = 'sensor_msgs/msg/CameraInfo';

export interface ReplayOptions {
  input: string;
  out: string;
  colorTopic?: string;
  depthTopic?: string;
  infoTopic?: string;
  model?: string;
  segmentation: boolean;
}

/** Outputs recorded from the nodes, with their types. */
const OUTPUTS: [string, MessageTypeName][] = [
  ['/perception_node/suction_grasps', 'grasp_perception/msg/SuctionGraspArray'],
  ['/perception_node/suction_poses', 'geometry_msgs/msg/PoseArray'],
  ['/perception_node/instances', 'grasp_perception/msg/ObjectInstanceArray'],
  ['/perception_node/instance_labels', IMAGE],
  ['/perception_node/suction_heatmap', IMAGE],
  ['/perception_node/com_heatmap', IMAGE],
  ['/perception_node/overlay', IMAGE],
  ['/perception_node/markers', 'visualization_msgs/msg/MarkerArray'],
  ['/segmentation_node/labels', IMAGE],
  ['/segmentation_node/colored', IMAGE],
  ['/segmentation_node/overlay', IMAGE],
  ['/diagnostics', 'diagnostic_msgs/msg/DiagnosticArray'],
];

function pick(
  topics: Map<string, string>,
  given: string | undefined,
  types: string[],
  hint: RegExp,
  what: string,
): string {
  const listing = [...topics].map(([t, ty]) => `${t} (${ty})`).join(', ');
  if (given) {
    if (!topics.has(given)) throw new Error(`${what} topic ${given} is not in the bag (it has: ${listing})`);
    if (!types.includes(topics.get(given)!))
      throw new Error(`${what} topic ${given} is ${topics.get(given)}, not ${types.join(' or ')}`);
    return given;
  }
  const found = [...topics].find(([t, ty]) => types.includes(ty) && hint.test(t));
  if (!found) throw new Error(`no ${what} topic found (pass --${what}-topic); the bag has: ${listing}`);
  return found[0];
}

const stampOf = (m: { header: { stamp: Time } }): Time => m.header.stamp;

/**
 * Replays `o.input` through the nodes into `o.out`. A bag without summary or footer (its recorder
 * died) is read as a stream as far as it is intact; each such problem is passed to `warn` and
 * listed in the result's `warnings`.
 */
export async function replay(
  o: ReplayOptions,
  warn: (message: string) => void = () => undefined,
): Promise<Record<string, unknown>> {
  const warnings: string[] = [];
  const onWarning = (message: string): void => {
    if (warnings.includes(message)) return;
    warnings.push(message);
    warn(message);
  };
  const topics = await bagTopics(o.input, onWarning);
  const named = <T>(f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new Error(`${o.input}: ${(err as Error).message}`, { cause: err });
    }
  };
  const color = named(() => pick(topics, o.colorTopic, [IMAGE, COMPRESSED], /colou?r|rgb/i, 'color'));
  const depth = named(() => pick(topics, o.depthTopic, [IMAGE, COMPRESSED], /depth/i, 'depth'));
  const info = named(() => pick(topics, o.infoTopic, [INFO], /camera_info/i, 'info'));
  const argv = [
    '--ros-args',
    '-p',
    'input_qos:=default',
    ...(o.model ? ['-p', `model_file_path:=${o.model}`] : []),
  ];
  const bus = new InProcessBus({ argv });
  const running: RunningNode[] = [await nodeEntry('perception_node').start(bus, {})];
  if (o.segmentation) running.push(await nodeEntry('segmentation_node').start(bus, {}));
  const writer = await BagWriter.open(o.out);
  const pending: Promise<void>[] = [];
  const counts: Record<string, number> = {};
  const tap = bus.createNode('replay_recorder');
  for (const [topic, type] of OUTPUTS) {
    tap.createSubscription(type, topic, QOS_DEFAULT, (m: unknown) => {
      counts[topic] = (counts[topic] ?? 0) + 1;
      const stamp = (m as { header?: { stamp: Time } }).header?.stamp ?? { sec: 0, nanosec: 0 };
      pending.push(writer.write(topic, type, m, stamp));
    });
  }
  const pub = {
    color: tap.createPublisher(IMAGE, '/color/image_raw', QOS_DEFAULT),
    depth: tap.createPublisher(IMAGE, '/aligned_depth/image_raw', QOS_DEFAULT),
    info: tap.createPublisher(INFO, '/color/camera_info', QOS_DEFAULT),
  };
  let inputs = 0;
  try {
    for await (const m of readBag(o.input, [color, depth, info], onWarning)) {
      inputs++;
      await writer.write(m.topic, m.type, m.message, stampOf(m.message as { header: { stamp: Time } }));
      const image = (msg: unknown): Image | undefined => {
        if (m.type !== COMPRESSED) return msg as Image;
        try {
          return decodeCompressedImage(msg as CompressedImage);
        } catch (err) {
          if (!(err instanceof ImageFormatError)) throw err;
          // The nodes report malformed raw images themselves; an undecodable compressed one never reaches them.
          onWarning(
            `${o.input}: a ${m.topic} message at log time ${m.logTime} ns does not decode (${err.message}); skipped`,
          );
          return undefined;
        }
      };
      if (m.topic === color || m.topic === depth) {
        const img = image(m.message);
        if (img) (m.topic === color ? pub.color : pub.depth).publish(img);
      } else pub.info.publish(m.message as CameraInfo);
      await bus.settle();
      for (const r of running) await r.idle?.();
      await bus.settle();
    }
  } finally {
    for (const r of running) await r.stop();
    await bus.shutdown();
    await Promise.all(pending);
    await writer.close();
  }
  return {
    input: o.input,
    out: o.out,
    input_messages: inputs,
    topics: { color, depth, info },
    outputs: counts,
    warnings,
  };
}

export interface RecordOptions {
  out: string;
  frames: number;
  seed: number;
  objects: number;
  width: number;
  height: number;
  compressed: boolean;
}

/** Simulated camera frames (re-rendered with fresh sensor noise) written as a ROS 2 bag. */
export async function recordSim(o: RecordOptions): Promise<Record<string, unknown>> {
  const scale = o.width / 640;
  const sim = await BinPickingSim.random(
    { count: o.objects, seed: o.seed },
    { camera: { width: o.width, height: o.height, fx: 615 * scale, fy: 615 * scale } },
  );
  const writer = await BagWriter.open(o.out);
  try {
    for (let i = 0; i < o.frames; i++) {
      const stamp = { sec: 1000 + Math.floor(i / 10), nanosec: (i % 10) * 100_000_000 };
      const f = sim.frame({ realism: true, frameSeed: o.seed * 1000 + i });
      const m = simFrameToMessages(f, stamp);
      if (o.compressed) {
        await writer.write(
          '/camera/color/image_raw/compressed',
          COMPRESSED,
          encodeCompressedImage(m.color, { format: 'jpeg' }),
          stamp,
        );
        const depth16 = encodeDepth16(f.depth, f.width, f.height, m.depth.header);
        await writer.write(
          '/camera/aligned_depth/image_raw/compressed',
          COMPRESSED,
          encodeCompressedImage(depth16, { format: 'png' }),
          stamp,
        );
      } else {
        await writer.write('/camera/color/image_raw', IMAGE, m.color, stamp);
        await writer.write('/camera/aligned_depth/image_raw', IMAGE, m.depth, stamp);
      }
      await writer.write('/camera/color/camera_info', INFO, m.info, stamp);
    }
  } finally {
    sim.dispose();
    await writer.close();
  }
  return { out: o.out, frames: o.frames, compressed: o.compressed };
}
