// ~/detect and ~/decide with a huge or infinite request timeout wait (clamped to a documented maximum)
// instead of answering at once: issue 12 found setTimeout overflowing its 32-bit delay for 3e6 s, 1e9 s
// and Infinity, so the request failed within milliseconds with a TimeoutOverflowWarning.
import { InProcessBus, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import { encodeFloat32Image } from '../../src/image';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { MAX_SERVICE_TIMEOUT_SEC, serviceTimeout } from '../../src/nodes/service-timeout';
import { simCameraTransform, simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';
import { StaticTransformBroadcaster } from '../../src/tf';

jest.setTimeout(60_000);

describe('serviceTimeout', () => {
  it.each([
    [0, 2, 2, false],
    [-1, 2, 2, false],
    [NaN, 2, 2, false],
    [0.5, 2, 0.5, false],
    [3e6, 2, MAX_SERVICE_TIMEOUT_SEC, true],
    [1e9, 2, MAX_SERVICE_TIMEOUT_SEC, true],
    [Infinity, 2, MAX_SERVICE_TIMEOUT_SEC, true],
  ])('request %p (default %p) waits %p s, clamped %p', (requested, fallback, seconds, clamped) => {
    const t = serviceTimeout(requested, fallback);
    expect(t.seconds).toBe(seconds);
    expect(t.clamped).toBe(clamped);
    expect(t.ms).toBe(seconds * 1000);
    expect(t.ms).toBeLessThanOrEqual(2 ** 31 - 1); // setTimeout's limit
  });
});

let frame: SimFrame;
beforeAll(async () => {
  const sim = await BinPickingSim.random(
    { count: 3, seed: 4 },
    { camera: { width: 160, height: 120, fx: 154, fy: 154 } },
  );
  frame = sim.frame({ realism: false });
  sim.dispose();
});

describe('services with huge timeouts', () => {
  let bus: InProcessBus;
  let running: RunningNode | undefined;
  const overflow: string[] = [];
  const onWarning = (w: Error) => void overflow.push(w.name);
  beforeAll(() => process.on('warning', onWarning));
  afterAll(() => void process.off('warning', onWarning));
  afterEach(async () => {
    await running?.stop();
    await bus?.shutdown();
  });

  const camera = (policy: boolean) => {
    const cam = bus.createNode('camera');
    const pubs = {
      color: cam.createPublisher('sensor_msgs/msg/Image', '/cam/color/image_raw', QOS_SENSOR_DATA),
      depth: cam.createPublisher('sensor_msgs/msg/Image', '/cam/aligned_depth/image_raw', QOS_SENSOR_DATA),
      info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/cam/color/camera_info', QOS_SENSOR_DATA),
      heat: cam.createPublisher('sensor_msgs/msg/Image', '/cam/policy_node/suction_heatmap', QOS_DEFAULT),
    };
    if (policy) new StaticTransformBroadcaster(cam).send(simCameraTransform(frame, cam.clock.now()));
    /** A frame stamped now (after the request), with its suction heatmap for the policy. */
    const send = () => {
      const m = simFrameToMessages(frame, cam.clock.now());
      pubs.color.publish(m.color);
      pubs.depth.publish(m.depth);
      pubs.info.publish(m.info);
      const heat = new Float32Array(m.color.width * m.color.height).fill(0.5);
      if (policy) pubs.heat.publish(encodeFloat32Image(heat, m.color.width, m.color.height, m.color.header));
    };
    return { cam, send };
  };
  const later = () => new Promise((r) => setTimeout(r, 50));

  it.each([1e9, Infinity])('~/detect with timeout %p waits for the next frame', async (timeout) => {
    bus = new InProcessBus();
    running = await nodeEntry('perception_node').start(bus, { namespace: '/cam' });
    const { cam, send } = camera(false);
    const detect = cam.createClient('grasp_perception/srv/DetectGrasps', '/cam/perception_node/detect');
    const answer = detect.call({ timeout }, 30_000);
    await later();
    send();
    const r = await answer;
    expect(r.message).not.toMatch(/within/);
    expect(r.success).toBe(true);
    expect(overflow).not.toContain('TimeoutOverflowWarning');
  });

  it.each([1e9, Infinity])('~/decide with timeout %p waits for the next frame', async (timeout) => {
    bus = new InProcessBus();
    running = await nodeEntry('policy_node').start(bus, {
      namespace: '/cam',
      parameterOverrides: { model_file_path: 'models/policy_reduced_ptq.json' },
    });
    const { cam, send } = camera(true);
    const decide = cam.createClient('grasp_perception/srv/DecideAction', '/cam/policy_node/decide');
    const answer = decide.call({ timeout }, 30_000);
    await later();
    send();
    const r = await answer;
    expect(r.message).not.toMatch(/within/);
    expect(r.success).toBe(true);
    expect(overflow).not.toContain('TimeoutOverflowWarning');
  });
});
