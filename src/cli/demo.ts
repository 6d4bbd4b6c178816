import {
  InProcessBus,
  LogConfig,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  type LogRecord,
  formatLogRecord,
} from '../bus';
import { type DiagnosticArray, type Image, secondsToTime } from '../msg';
import { nodeEntry } from '../nodes';
import { SIM_FRAMES, simCameraTransform, simFrameToMessages } from '../nodes/sim/messages';
import { BinPickingSim } from '../sim';
import { StaticTransformBroadcaster, TfListener } from '../tf';

export interface DemoOptions {
  readonly seconds: number;
  readonly seed: number;
  readonly objects: number;
  readonly headless: boolean;
  readonly out: (s: string) => void;
  readonly rosArgs: readonly string[];
}

/**
 * The most complete pipeline available today, end to end on the in-process bus: the bin-picking
 * simulator's RGB-D camera (random clutter, seeded) → camera_check_node (sync, decode, validate) →
 * /diagnostics, with TF, and one deliberately truncated depth frame to show a fault being reported
 * while the node keeps running. The closed-loop demo (perception + policy) replaces it (issue 6).
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
  const sim = await BinPickingSim.random({ count: o.objects, seed: o.seed });
  // The scene is static between actions: render once (with realism), republish with fresh stamps.
  const frame = sim.frame();
  new StaticTransformBroadcaster(cam).send(simCameraTransform(frame, cam.clock.now()));

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
    const f = simFrameToMessages(frame, stamp);
    // Depth arrives a few milliseconds after colour, as from a real driver: ApproximateTime pairs them.
    const depthStamp = secondsToTime(started / 1000 + seq / rateHz + 0.004);
    const depth: Image = { ...f.depth, header: { ...f.depth.header, stamp: depthStamp } };
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

  const cameraInWorld = tf.buffer.transformPoint(SIM_FRAMES.world, SIM_FRAMES.camera, { x: 0, y: 0, z: 0 });
  const status = last?.status.find((s) => s.name.includes('rgbd input'));
  const values = Object.fromEntries((status?.values ?? []).map((kv) => [kv.key, kv.value]));
  o.out(
    `${JSON.stringify(
      {
        frames_published: frames,
        objects_in_bin: sim.objectsRemaining,
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
  sim.dispose();
}
