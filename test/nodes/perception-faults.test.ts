// Malformed inputs each give a WARN diagnostic naming the fault, and perception_node keeps running.
import { InProcessBus, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import { encodeDepth16 } from '../../src/image';
import { type CameraInfo, type DiagnosticArray, type Image, type SuctionGraspArray } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';

jest.setTimeout(60_000);

let frame: SimFrame;
beforeAll(async () => {
  const sim = await BinPickingSim.random({ count: 6, seed: 9 }, { camera: { width: 320, height: 240 } });
  frame = sim.frame({ realism: false });
  sim.dispose();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('perception_node input faults', () => {
  let bus: InProcessBus;
  let running: RunningNode;
  afterEach(async () => {
    await running?.stop();
    await bus?.shutdown();
  });

  it('reports each fault as a WARN and still processes the next good frame', async () => {
    bus = new InProcessBus({ argv: ['--ros-args', '-p', 'diagnostics_period:=0.2'] });
    running = await nodeEntry('perception_node').start(bus, { namespace: '/cam' });
    const cam = bus.createNode('camera');
    const pub = {
      color: cam.createPublisher('sensor_msgs/msg/Image', '/cam/color/image_raw', QOS_SENSOR_DATA),
      depth: cam.createPublisher('sensor_msgs/msg/Image', '/cam/aligned_depth/image_raw', QOS_SENSOR_DATA),
      info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/cam/color/camera_info', QOS_SENSOR_DATA),
    };
    const codes: string[] = [];
    const grasps: SuctionGraspArray[] = [];
    cam.createSubscription(
      'diagnostic_msgs/msg/DiagnosticArray',
      '/diagnostics',
      QOS_DEFAULT,
      (m: DiagnosticArray) => {
        for (const s of m.status) {
          const code = s.values.find((v) => v.key === 'fault code');
          if (s.level === 1 && code) codes.push(code.value);
        }
      },
    );
    cam.createSubscription(
      'grasp_perception/msg/SuctionGraspArray',
      '/cam/perception_node/suction_grasps',
      QOS_DEFAULT,
      (m) => void grasps.push(m),
    );
    let sec = 100;
    const send = async (o: {
      color?: Image | null;
      depth?: Image | null;
      info?: CameraInfo | null;
      depthStampOffset?: number;
    }) => {
      const good = simFrameToMessages(frame, { sec: ++sec, nanosec: 0 });
      if (o.color !== null) pub.color.publish(o.color ?? good.color);
      if (o.depth !== null) {
        const d = o.depth ?? good.depth;
        pub.depth.publish(
          o.depthStampOffset
            ? { ...d, header: { ...d.header, stamp: { sec: sec + o.depthStampOffset, nanosec: 0 } } }
            : d,
        );
      }
      if (o.info !== null) pub.info.publish(o.info ?? good.info);
      await bus.settle();
      await wait(30);
    };
    const good = () => simFrameToMessages(frame, { sec: sec + 1, nanosec: 0 });
    await send({ color: { ...good().color, encoding: 'yuv420' } });
    const small = encodeDepth16(new Float32Array(160 * 120).fill(0.7), 160, 120, good().depth.header);
    await send({ depth: small });
    await send({ depth: encodeDepth16(new Float32Array(320 * 240), 320, 240, good().depth.header) });
    const info = good().info;
    await send({ info: { ...info, k: Float64Array.from([0, 0, 0, 0, 0, 0, 0, 0, 1]) } });
    // The stream watchdog judges on its own period (0.2 s) and needs two messages of a stream since its
    // last look, wherever its tick falls: keep the fault up until it is reported (bounded, ~2 s).
    const sendUntil = async (code: string, o: Parameters<typeof send>[0]) => {
      for (let i = 0; i < 40 && !codes.includes(code); i++) await send(o);
    };
    await sendUntil('STREAM_MISSING', { info: null }); // camera_info missing
    // Depth stamped 1000 s after colour: no later colour stamp catches up with it within the loop.
    await sendUntil('UNSYNCHRONISED', { depthStampOffset: 1000 });
    const before = grasps.length;
    await send({});
    await send({});
    await wait(500);
    expect(grasps.length).toBeGreaterThan(before); // still running
    for (const code of ['DEPTH_NOT_ALIGNED', 'DEPTH_MOSTLY_INVALID', 'STREAM_MISSING', 'UNSYNCHRONISED']) {
      expect(codes).toContain(code);
    }
    expect(codes.length).toBeGreaterThanOrEqual(6);
    expect(new Set(codes).size).toBeGreaterThanOrEqual(6);
  });
});
