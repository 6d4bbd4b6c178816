import { InProcessBus, LogConfig, type LogRecord, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import { type CameraInfo, type DiagnosticArray, type Image } from '../../src/msg';
import { simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';
import { decodeRgbdFrame, describeFrame, nodeEntry, type RgbdFault, type RgbdFrame } from '../../src/nodes';

const header = (sec: number, nanosec = 0) => ({
  stamp: { sec, nanosec },
  frame_id: 'camera_color_optical_frame',
});

let simFrame: SimFrame;
beforeAll(async () => {
  const sim = await BinPickingSim.random({ count: 5, seed: 2 });
  simFrame = sim.frame();
  sim.dispose();
});

/** The simulator's camera topics for one frame, stamped at `header`. */
const simMessages = (_seq: number, _seed: number, h: ReturnType<typeof header>) => {
  const m = simFrameToMessages(simFrame, h.stamp, h.frame_id);
  return { color: m.color, depth: m.depth, info: m.info };
};

describe('decodeRgbdFrame', () => {
  let f: ReturnType<typeof simMessages>;
  beforeAll(() => {
    f = simMessages(0, 1, header(1));
  });
  it('decodes a good triple', () => {
    const r = decodeRgbdFrame(f.color, f.depth, f.info) as RgbdFrame;
    expect(r.camera.fx).toBe(615);
    expect(r.depth.metres).toHaveLength(640 * 480);
    const facts = describeFrame(r);
    expect(facts.validDepthFraction).toBeGreaterThan(0.9);
    expect(facts.depthMin).toBeGreaterThan(0.4);
    expect(facts.depthMax).toBeLessThan(1.0);
  });
  it.each<[string, () => RgbdFault | RgbdFrame, string, string]>([
    ['colour as depth', () => decodeRgbdFrame(f.color, f.color, f.info), 'depth', 'WRONG_ENCODING'],
    ['depth as colour', () => decodeRgbdFrame(f.depth, f.depth, f.info), 'color', 'WRONG_ENCODING'],
    [
      'zero intrinsics',
      () => decodeRgbdFrame(f.color, f.depth, { ...f.info, k: new Float64Array(9) }),
      'camera_info',
      'INTRINSICS_MISSING',
    ],
    [
      'info size mismatch',
      () => decodeRgbdFrame(f.color, f.depth, { ...f.info, width: 320 }),
      'camera_info',
      'SIZE_MISMATCH',
    ],
    [
      'unaligned depth',
      () =>
        decodeRgbdFrame(
          f.color,
          { ...f.depth, width: 320, step: 640, data: f.depth.data.subarray(0, 640 * 480) },
          f.info,
        ),
      'depth',
      'DEPTH_NOT_ALIGNED',
    ],
    [
      'truncated colour',
      () => decodeRgbdFrame({ ...f.color, data: f.color.data.subarray(0, 10) }, f.depth, f.info),
      'color',
      'DATA_TRUNCATED',
    ],
  ])('%s → a %s fault %s', (_what, run, stream, code) => {
    const r = run() as RgbdFault;
    expect(r.stream).toBe(stream);
    expect(r.code).toBe(code);
  });
});

describe('camera_check_node on the in-process bus', () => {
  let afterCleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await afterCleanup?.();
    afterCleanup = undefined;
  });

  it('synchronises, validates, reports faults as WARN diagnostics and keeps running', async () => {
    const logs: LogRecord[] = [];
    const bus = new InProcessBus({
      argv: [
        '--ros-args',
        '-p',
        'diagnostics_period:=10',
        '-r',
        '/camera/aligned_depth/image_raw:=/camera/depth/image_rect_raw',
      ],
      logConfig: new LogConfig('info', (r) => logs.push(r)),
    });
    const running = await nodeEntry('camera_check_node').start(bus, { namespace: '/camera' });
    afterCleanup = () => running.stop();
    const cam = bus.createNode('cam', { namespace: '/camera' });
    const color = cam.createPublisher('sensor_msgs/msg/Image', 'color/image_raw', QOS_SENSOR_DATA);
    const depth = cam.createPublisher('sensor_msgs/msg/Image', 'depth/image_rect_raw', QOS_SENSOR_DATA);
    const info = cam.createPublisher('sensor_msgs/msg/CameraInfo', 'color/camera_info', QOS_SENSOR_DATA);
    const diags: DiagnosticArray[] = [];
    bus
      .createNode('watch')
      .createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT, (m) => {
        diags.push(m);
      });

    const send = (
      seq: number,
      mutate: (c: Image, d: Image, i: CameraInfo) => [Image, Image, CameraInfo] = (c, d, i) => [c, d, i],
    ) => {
      const f = simMessages(seq, 2, header(100 + seq));
      const [c, d, i] = mutate(f.color, { ...f.depth, header: header(100 + seq, 3_000_000) }, f.info);
      color.publish(c);
      depth.publish(d);
      info.publish(i);
    };
    const level = () => diags[diags.length - 1].status[0];
    for (let s = 0; s < 3; s++) {
      send(s);
      await bus.settle();
    }
    expect(level().level).toBe(0);
    send(3, (c, d, i) => [c, d, { ...i, k: new Float64Array([0, 0, 320, 0, 615, 240, 0, 0, 1]) }]);
    send(4);
    await bus.settle();
    const warn = diags.find((d) => d.status[0].level === 1 && d.status[0].message.startsWith('camera_info'));
    expect(warn?.status[0].message).toBe(
      'camera_info: camera_info focal length fx = 0 must be a positive finite number',
    );
    expect(logs.some((l) => l.level === 'warn' && l.message.includes('fx = 0'))).toBe(true);
    // Unsynchronised: a colour frame 0.5 s from any depth never forms a set and is dropped.
    color.publish(simMessages(5, 2, header(105, 500_000_000)).color);
    for (let s = 6; s < 9; s++) {
      send(s);
      await bus.settle();
    }
    running.diagnostics?.publish();
    await bus.settle();
    expect(level().level).toBe(0);
    const values = Object.fromEntries(level().values.map((kv) => [kv.key, kv.value]));
    expect(values['depth topic']).toBeUndefined();
    expect(Number(values.faults)).toBe(1);
    expect(Number(values['synchronised sets'])).toBeGreaterThanOrEqual(7);
    expect(Number(values['unsynchronised drops'])).toBeGreaterThanOrEqual(1);
    expect(values.resolution).toBe('640x480');
    await running.stop();
    await bus.shutdown();
  });

  it('a bad parameter stops the node at start with one clear error', async () => {
    const bus = new InProcessBus({ argv: ['--ros-args', '-p', 'input_qos:=fastest'] });
    await expect(nodeEntry('camera_check_node').start(bus, {})).rejects.toThrow(
      `parameter 'input_qos' of node '/camera_check_node' (command line (-p)): expected one of "sensor_data", "default", "system_default", got "fastest"`,
    );
    await bus.shutdown();
  });
});
