import {
  InProcessBus,
  LogConfig,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  type LogRecord,
  formatLogRecord,
} from '../bus';
import { quaternionFromMatrix } from '../geometry';
import { encodeDepth16 } from '../image';
import { type CameraInfo, type DiagnosticArray, type Header, type Image, secondsToTime } from '../msg';
import { nodeEntry } from '../nodes';
import { StaticTransformBroadcaster, TfListener } from '../tf';

export interface DemoOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly headless: boolean;
  readonly out: (s: string) => void;
  readonly rosArgs: readonly string[];
}

const W = 640;
const H = 480;
const FX = 615;
const CAMERA_FRAME = 'camera_color_optical_frame';

/**
 * A calibration-style test target until the simulator lands (issue 3): a checkerboard plane 0.7 m
 * in front of a D435-like camera, tilted 10°, with a few millimetres of seeded depth noise.
 */
export function testPatternFrame(
  seq: number,
  seed: number,
  header: Header,
): { color: Image; depth: Image; info: CameraInfo } {
  const rgb = new Uint8Array(W * H * 3);
  const metres = new Float32Array(W * H);
  const tilt = (10 * Math.PI) / 180;
  let s = (seed * 2654435761 + seq * 40503) >>> 0;
  const rand = (): number => (s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32 - 0.5;
  for (let v = 0; v < H; v++) {
    for (let u = 0; u < W; u++) {
      // Ray (x, y, 1) meets the plane z = 0.7 + y·tan(tilt).
      const y = (v - H / 2) / FX;
      const z = 0.7 / (1 - y * Math.tan(tilt));
      const X = ((u - W / 2) / FX) * z;
      const Y = y * z;
      const square = (Math.floor((X + 10) / 0.04) + Math.floor((Y + 10) / 0.04)) % 2;
      const i = v * W + u;
      const shade = square ? 220 : 40;
      rgb[3 * i] = shade;
      rgb[3 * i + 1] = shade;
      rgb[3 * i + 2] = square ? 220 : 60;
      metres[i] = z + 0.002 * rand();
    }
  }
  const color: Image = {
    header,
    height: H,
    width: W,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: W * 3,
    data: rgb,
  };
  const depth = encodeDepth16(metres, W, H, header);
  const info: CameraInfo = {
    header,
    height: H,
    width: W,
    distortion_model: 'plumb_bob',
    d: new Float64Array(5),
    k: new Float64Array([FX, 0, W / 2, 0, FX, H / 2, 0, 0, 1]),
    r: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    p: new Float64Array([FX, 0, W / 2, 0, 0, FX, H / 2, 0, 0, 0, 1, 0]),
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
  return { color, depth, info };
}

/**
 * The most complete pipeline available today, end to end on the in-process bus: a test-pattern
 * RGB-D camera → camera_check_node (sync, decode, validate) → /diagnostics, with TF, and one
 * deliberately truncated depth frame to show a fault being reported while the node keeps running.
 */
export async function runDemo(o: DemoOptions): Promise<void> {
  const logs: LogRecord[] = [];
  const bus = new InProcessBus({
    argv: o.rosArgs,
    logConfig: new LogConfig('info', (r) => {
      logs.push(r);
      o.out(`${formatLogRecord(r)}\n`);
    }),
  });
  const check = await nodeEntry('camera_check_node').start(bus, { namespace: '/camera' });
  const cam = bus.createNode('test_pattern_camera', { namespace: '/camera' });
  const pubColor = cam.createPublisher('sensor_msgs/msg/Image', 'color/image_raw', QOS_SENSOR_DATA);
  const pubDepth = cam.createPublisher('sensor_msgs/msg/Image', 'aligned_depth/image_raw', QOS_SENSOR_DATA);
  const pubInfo = cam.createPublisher('sensor_msgs/msg/CameraInfo', 'color/camera_info', QOS_SENSOR_DATA);
  const tilt = (10 * Math.PI) / 180;
  new StaticTransformBroadcaster(cam).send({
    header: { stamp: cam.clock.now(), frame_id: 'world' },
    child_frame_id: CAMERA_FRAME,
    transform: {
      translation: { x: 0, y: 0, z: 0.7 },
      // Optical frame looking down at the table (z down), tilted about x.
      rotation: quaternionFromMatrix([
        1,
        0,
        0,
        0,
        -Math.cos(tilt),
        Math.sin(tilt),
        0,
        -Math.sin(tilt),
        -Math.cos(tilt),
      ]),
    },
  });

  const viewer = bus.createNode('demo_viewer');
  const tf = new TfListener(viewer);
  let last: DiagnosticArray | undefined;
  viewer.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT, (m) => {
    last = m;
    if (!o.headless) {
      for (const st of m.status)
        o.out(`  /diagnostics [${['OK', 'WARN', 'ERROR', 'STALE'][st.level]}] ${st.name}: ${st.message}\n`);
    }
  });

  const rateHz = 15;
  const frames = Math.max(1, Math.round(o.seconds * rateHz));
  const started = Date.now();
  for (let seq = 0; seq < frames; seq++) {
    const stamp = secondsToTime(started / 1000 + seq / rateHz);
    const header = { stamp, frame_id: CAMERA_FRAME };
    const f = testPatternFrame(seq, o.seed, header);
    // Depth arrives a few milliseconds after colour, as from a real driver: ApproximateTime pairs them.
    const depthHeader = {
      stamp: secondsToTime(started / 1000 + seq / rateHz + 0.004),
      frame_id: CAMERA_FRAME,
    };
    const depth: Image = { ...f.depth, header: depthHeader };
    pubColor.publish(f.color);
    pubInfo.publish(f.info);
    pubDepth.publish(
      seq === Math.floor(frames / 2) ? { ...depth, data: depth.data.subarray(0, 1000) } : depth,
    );
    await bus.settle();
    const wait = started + ((seq + 1) * 1000) / rateHz - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  check.diagnostics?.publish();
  await bus.settle();

  const cameraInWorld = tf.buffer.transformPoint('world', CAMERA_FRAME, { x: 0, y: 0, z: 0 });
  const status = last?.status.find((s) => s.name.includes('rgbd input'));
  const values = Object.fromEntries((status?.values ?? []).map((kv) => [kv.key, kv.value]));
  o.out(
    `${JSON.stringify(
      {
        frames_published: frames,
        diagnostics_level: status ? ['OK', 'WARN', 'ERROR', 'STALE'][status.level] : 'none',
        diagnostics_message: status?.message,
        synchronised_sets: Number(values['synchronised sets'] ?? 0),
        faults: Number(values.faults ?? 0),
        warnings_logged: logs.filter((l) => l.level === 'warn').length,
        camera_in_world: cameraInWorld,
        diagnostics: values,
      },
      null,
      2,
    )}\n`,
  );
  await check.stop();
  await bus.shutdown();
}
