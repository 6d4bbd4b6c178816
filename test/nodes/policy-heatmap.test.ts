// policy_node validates its suction heatmap like depth (issue 12): NaN, 1e30, a wrong size and a
// missing heatmap each get their own fault code and a request answered with the reason; depth that is
// all invalid is reported as such, not as an empty workspace. Before the fix garbage heatmaps were
// used, a wrong size was ERROR "policy failed", and a missing one was silent.
import { InProcessBus, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import { encodeDepth16, encodeFloat32Image } from '../../src/image';
import { type Image } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { simCameraTransform, simFrameToMessages } from '../../src/nodes/sim/messages';
import { BinPickingSim, type SimFrame } from '../../src/sim';
import { StaticTransformBroadcaster } from '../../src/tf';

jest.setTimeout(60_000);

let frame: SimFrame;
beforeAll(async () => {
  const sim = await BinPickingSim.random(
    { count: 3, seed: 4 },
    { camera: { width: 160, height: 120, fx: 154, fy: 154 } },
  );
  frame = sim.frame({ realism: false });
  sim.dispose();
});

describe('policy_node suction heatmap validation', () => {
  let bus: InProcessBus;
  let running: RunningNode;
  afterAll(async () => {
    await running?.stop();
    await bus?.shutdown();
  });

  beforeAll(async () => {
    bus = new InProcessBus();
    running = await nodeEntry('policy_node').start(bus, {
      namespace: '/cam',
      parameterOverrides: { model_file_path: 'models/policy_reduced_ptq.json' },
    });
  });

  const rig = () => {
    const cam = bus.createNode(`camera_${Math.random().toString(36).slice(2, 8)}`);
    const pubs = {
      color: cam.createPublisher('sensor_msgs/msg/Image', '/cam/color/image_raw', QOS_SENSOR_DATA),
      depth: cam.createPublisher('sensor_msgs/msg/Image', '/cam/aligned_depth/image_raw', QOS_SENSOR_DATA),
      info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/cam/color/camera_info', QOS_SENSOR_DATA),
      heat: cam.createPublisher('sensor_msgs/msg/Image', '/cam/policy_node/suction_heatmap', QOS_DEFAULT),
    };
    new StaticTransformBroadcaster(cam).send(simCameraTransform(frame, cam.clock.now()));
    const decide = cam.createClient('grasp_perception/srv/DecideAction', '/cam/policy_node/decide');
    /** A request, then a frame for it with the heatmap `heat` makes (none when it returns null). */
    const decideWith = async (
      heat: (m: ReturnType<typeof simFrameToMessages>) => Image | null,
      depth?: (m: ReturnType<typeof simFrameToMessages>) => Image,
      timeout = 1,
    ) => {
      const answer = decide.call({ timeout }, 30_000);
      await new Promise((r) => setTimeout(r, 20));
      const m = simFrameToMessages(frame, cam.clock.now());
      pubs.color.publish(m.color);
      pubs.depth.publish(depth ? depth(m) : m.depth);
      pubs.info.publish(m.info);
      const h = heat(m);
      if (h) pubs.heat.publish(h);
      return answer;
    };
    return { decideWith };
  };
  const filled = (v: number, size?: [number, number]) => (m: ReturnType<typeof simFrameToMessages>) => {
    const [w, h] = size ?? [frame.width, frame.height];
    return encodeFloat32Image(new Float32Array(w * h).fill(v), w, h, m.color.header);
  };
  const code = () => running.diagnostics?.entry('suction heatmap')?.values['fault code'];

  it('a good heatmap gives an action', async () => {
    const r = await rig().decideWith(filled(0.5));
    expect(r.success).toBe(true);
  });

  it.each([
    ['NaN', 'SUCTION_HEATMAP_NOT_FINITE', filled(NaN)],
    ['1e30', 'SUCTION_HEATMAP_OUT_OF_RANGE', filled(1e30)],
    ['-0.5', 'SUCTION_HEATMAP_OUT_OF_RANGE', filled(-0.5)],
    ['80x60', 'SUCTION_HEATMAP_SIZE_MISMATCH', filled(0.5, [80, 60])],
  ])(
    'a heatmap of %s is refused with %s and the request answered with the reason',
    async (_w, expected, heat) => {
      const r = await rig().decideWith(heat);
      expect(r.success).toBe(false);
      expect(r.message).toMatch(/suction_heatmap/);
      expect(r.message).not.toMatch(/policy failed/);
      expect(code()).toBe(expected);
      expect(running.diagnostics?.entry('policy')?.level).not.toBe('error');
    },
  );

  it('a heatmap that never comes is SUCTION_HEATMAP_MISSING', async () => {
    const r = await rig().decideWith(() => null, undefined, 0.5);
    expect(r.success).toBe(false);
    expect(code()).toBe('SUCTION_HEATMAP_MISSING');
  });

  it('all-invalid depth is reported as invalid depth, not as an empty workspace', async () => {
    const zeros = (m: ReturnType<typeof simFrameToMessages>) =>
      encodeDepth16(new Float32Array(frame.width * frame.height), frame.width, frame.height, m.depth.header);
    const r = await rig().decideWith(filled(0.5), zeros);
    expect(r.success).toBe(false);
    expect(r.message).not.toMatch(/looks empty/);
    expect(r.message).toMatch(/depth/);
    expect(running.diagnostics?.entry('policy')?.values['fault code']).toBe('DEPTH_MOSTLY_INVALID');
  });
});
