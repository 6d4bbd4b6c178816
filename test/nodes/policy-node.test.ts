import { InProcessBus, LogConfig, type LogRecord, QOS_DEFAULT, QOS_SENSOR_DATA } from '../../src/bus';
import {
  type DiagnosticArray,
  type Image,
  type PushGraspAction,
  PushGraspActionConstants,
} from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { encodeFloat32Image } from '../../src/image';
import { simCameraTransform, simFrameToMessages } from '../../src/nodes/sim/messages';
import { StaticTransformBroadcaster } from '../../src/tf';
import { BinPickingSim } from '../../src/sim';

jest.setTimeout(60_000);

const MODEL = 'models/policy_reduced_ptq.json';

describe('policy_node on the in-process bus', () => {
  let bus: InProcessBus;
  const running: RunningNode[] = [];
  const logs: LogRecord[] = [];
  afterEach(async () => {
    for (const r of running.splice(0).reverse()) await r.stop();
    await bus?.shutdown();
  });

  it('decides on a fresh frame: a push or grasp in the world frame, ~/action, ~/q_maps and diagnostics', async () => {
    bus = new InProcessBus({ argv: [], logConfig: new LogConfig('info', (r) => logs.push(r)) });
    running.push(
      await nodeEntry('sim_node').start(bus, {
        namespace: '/camera',
        parameterOverrides: { width: 320, height: 240, objects: 4, seed: 3, rate: 5 },
      }),
    );
    running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
    running.push(
      await nodeEntry('policy_node').start(bus, {
        namespace: '/camera',
        parameterOverrides: { model_file_path: MODEL },
        arguments: ['--ros-args', '-r', '~/suction_heatmap:=/camera/perception_node/suction_heatmap'],
      }),
    );
    const client = bus.createNode('client');
    const published: PushGraspAction[] = [];
    const qMaps: Image[] = [];
    let diag: DiagnosticArray | undefined;
    client.createSubscription(
      'grasp_perception/msg/PushGraspAction',
      '/camera/policy_node/action',
      QOS_DEFAULT,
      (m) => {
        published.push(m);
      },
    );
    client.createSubscription('sensor_msgs/msg/Image', '/camera/policy_node/q_maps', QOS_DEFAULT, (m) => {
      qMaps.push(m);
    });
    client.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT, (m) => {
      if (m.status.some((s) => s.name === 'policy_node: policy')) diag = m;
    });
    const decide = client.createClient('grasp_perception/srv/DecideAction', '/camera/policy_node/decide');
    const requested = client.clock.now();
    const r = await decide.call({ timeout: 5 });
    expect(r.success).toBe(true);
    const a = r.action;
    expect(a.header.frame_id).toBe('world');
    // Decided on a frame taken after the request (the scene as it is now).
    expect(a.header.stamp.sec * 1e9 + a.header.stamp.nanosec).toBeGreaterThanOrEqual(
      requested.sec * 1e9 + requested.nanosec,
    );
    expect([PushGraspActionConstants.PUSH, PushGraspActionConstants.GRASP]).toContain(a.type);
    expect(Math.abs(a.pose.position.x)).toBeLessThanOrEqual(0.217);
    expect(Math.abs(a.pose.position.y)).toBeLessThanOrEqual(0.217);
    await bus.settle();
    expect(published).toEqual([a]);
    expect(qMaps).toHaveLength(1);
    expect([qMaps[0].width, qMaps[0].height, qMaps[0].encoding]).toEqual([2 * 62 * 4 + 4, 62 * 4, 'rgb8']);
    running[2].diagnostics?.publish();
    await bus.settle();
    const st = diag?.status.find((s) => s.name === 'policy_node: policy');
    expect(st?.level).toBe(0);
    const values = Object.fromEntries((st?.values ?? []).map((kv) => [kv.key, kv.value]));
    expect(values).toMatchObject({ model: 'policy_reduced_ptq', precision: 'int8', decisions: '1' });
    expect(Number(values.inference_ms)).toBeGreaterThan(0);
  });

  it('without its heatmap or the camera transform it answers with the reason, WARNs and keeps running', async () => {
    bus = new InProcessBus({ argv: [], logConfig: new LogConfig('info', (r) => logs.push(r)) });
    const policy = await nodeEntry('policy_node').start(bus, {
      namespace: '/camera',
      parameterOverrides: { model_file_path: MODEL, decide_timeout: 3 },
    });
    running.push(policy);
    const cam = bus.createNode('camera');
    const pubs = {
      color: cam.createPublisher('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_SENSOR_DATA),
      depth: cam.createPublisher('sensor_msgs/msg/Image', '/camera/aligned_depth/image_raw', QOS_SENSOR_DATA),
      info: cam.createPublisher('sensor_msgs/msg/CameraInfo', '/camera/color/camera_info', QOS_SENSOR_DATA),
      heatmap: cam.createPublisher(
        'sensor_msgs/msg/Image',
        '/camera/policy_node/suction_heatmap',
        QOS_DEFAULT,
      ),
    };
    const sim = await BinPickingSim.random(
      { count: 2, seed: 1 },
      { camera: { width: 160, height: 120, fx: 154, fy: 154 } },
    );
    const frame = sim.frame();
    sim.dispose();
    const decide = cam.createClient('grasp_perception/srv/DecideAction', '/camera/policy_node/decide');
    /** A decide request, then a fresh frame for it (with its suction heatmap unless told otherwise). */
    const decideOnNextFrame = async (withHeatmap = true) => {
      const pending = decide.call({ timeout: 3 });
      await new Promise((r) => setTimeout(r, 20));
      const m = simFrameToMessages(frame, cam.clock.now());
      pubs.color.publish(m.color);
      pubs.depth.publish(m.depth);
      pubs.info.publish(m.info);
      const { width, height } = m.color;
      const heat = new Float32Array(width * height).fill(0.5);
      if (withHeatmap) pubs.heatmap.publish(encodeFloat32Image(heat, width, height, m.color.header));
      return pending;
    };
    const missing = await decideOnNextFrame(false);
    expect(missing).toMatchObject({ success: false });
    expect(missing.message).toMatch(
      /^no fresh synchronised RGB-D frame with its ~\/suction_heatmap within 3 s/,
    );
    const r = await decideOnNextFrame();
    expect(r.success).toBe(false);
    expect(r.message).toMatch(/^no transform world <- camera_color_optical_frame/);
    expect(logs.filter((l) => l.level === 'warn' && /TF|transform/.test(l.message))).toHaveLength(1);
    // Still serving: once the transform exists, the next request gets an action.
    new StaticTransformBroadcaster(cam).send(simCameraTransform(frame, cam.clock.now()));
    expect(await decideOnNextFrame()).toMatchObject({ success: true });
  });

  it('refuses a workspace_size that is not [x, y] or that needs more cells than the network takes', async () => {
    bus = new InProcessBus({ argv: [], logConfig: new LogConfig('info', (r) => logs.push(r)) });
    await expect(
      nodeEntry('policy_node').start(bus, {
        parameterOverrides: { model_file_path: MODEL, workspace_size: [0.35] },
      }),
    ).rejects.toThrow(
      /^policy_node: parameter 'workspace_size' must be \[\] or \[x, y\] metres, each 0.05-2, got \[0.35\]$/,
    );
    // 0.35 x 0.6 m (the ARC tote) fits the 96 x 96 input at 7 mm (48 x 84 cells); 0.8 m does not (112).
    await expect(
      nodeEntry('policy_node').start(bus, {
        parameterOverrides: { model_file_path: MODEL, workspace_size: [0.35, 0.8] },
      }),
    ).rejects.toThrow(/takes 48 x 112 cells, more than the network's 96 x 96 input \(workspace_size\)$/);
    const ok = await nodeEntry('policy_node').start(bus, {
      parameterOverrides: { model_file_path: MODEL, workspace_size: [0.35, 0.6] },
    });
    await ok.stop();
  });

  it('refuses a model of another task with one line naming it', async () => {
    bus = new InProcessBus({ argv: [], logConfig: new LogConfig('info', (r) => logs.push(r)) });
    await expect(
      nodeEntry('policy_node').start(bus, {
        parameterOverrides: { model_file_path: 'models/attendseg.json' },
      }),
    ).rejects.toThrow(/^policy_node: .*attendseg\.json is a segmentation model, not a policy model$/);
  });
});
