import {
  InProcessBus,
  LogConfig,
  type LogRecord,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
} from '../../src/bus';
import { quaternionFromZAxis, quaternionFromYaw } from '../../src/geometry';
import { type PushGraspAction, PushGraspActionConstants, type SimStatus } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { SIM_FRAMES } from '../../src/nodes/sim/messages';
import { BinPickingSim } from '../../src/sim';

const camera = { width: 320, height: 240, fx: 307.5, fy: 307.5 };
const args = [
  '--ros-args',
  '-p',
  'width:=320',
  '-p',
  'height:=240',
  '-p',
  'objects:=1',
  '-p',
  'seed:=5',
  '-p',
  'rate:=50',
  '-p',
  'realism:=false',
];

/** Above the object of the same episode (the test's own copy): the cup descends onto its top. */
async function graspTarget(): Promise<{ x: number; y: number; z: number }> {
  const sim = await BinPickingSim.random({ count: 1, seed: 5 }, { camera });
  const p = sim.scene.objects[0].pose.position;
  sim.dispose();
  return { x: p.x, y: p.y, z: p.z + 0.05 };
}

describe('sim_node on the in-process bus', () => {
  let bus: InProcessBus;
  let running: RunningNode;
  const logs: LogRecord[] = [];
  afterEach(async () => {
    await running?.stop();
    await bus?.shutdown();
  });

  it('publishes camera topics and /tf_static, executes grasps and pushes, and reports ~/status', async () => {
    bus = new InProcessBus({ argv: args, logConfig: new LogConfig('info', (r) => logs.push(r)) });
    running = await nodeEntry('sim_node').start(bus, { namespace: '/camera' });
    const watcher = bus.createNode('watcher');
    const statuses: SimStatus[] = [];
    watcher.createSubscription(
      'grasp_perception/msg/SimStatus',
      '/camera/sim_node/status',
      QOS_TRANSIENT_LOCAL,
      (m) => {
        statuses.push(m);
      },
    );
    let images = 0;
    watcher.createSubscription('sensor_msgs/msg/Image', '/camera/color/image_raw', QOS_SENSOR_DATA, (m) => {
      expect([m.width, m.height, m.encoding]).toEqual([320, 240, 'rgb8']);
      images++;
    });
    let tfStatic = 0;
    watcher.createSubscription('tf2_msgs/msg/TFMessage', '/tf_static', QOS_TRANSIENT_LOCAL, (m) => {
      tfStatic += m.transforms.filter((t) => t.child_frame_id === SIM_FRAMES.camera).length;
    });
    await new Promise((r) => setTimeout(r, 120));
    await bus.settle();
    expect(images).toBeGreaterThan(1);
    expect(tfStatic).toBe(1);
    expect(statuses[0]).toMatchObject({
      objects_remaining: 1,
      actions_executed: 0,
      last_action_type: 255,
      scenario: 'random',
      seed: 5,
    });

    const act = watcher.createPublisher(
      'grasp_perception/msg/PushGraspAction',
      '/camera/sim_node/action',
      QOS_DEFAULT,
    );
    const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: SIM_FRAMES.world };
    const push: PushGraspAction = {
      header,
      type: PushGraspActionConstants.PUSH,
      pose: { position: { x: -0.2, y: -0.2, z: 0.02 }, orientation: quaternionFromYaw(Math.PI / 4) },
      push_length: 0.05,
      q_value: 0,
      u: 0,
      v: 0,
      angle: 0,
    };

    const target = await graspTarget();
    act.publish({
      ...push,
      type: PushGraspActionConstants.GRASP,
      pose: { position: target, orientation: quaternionFromZAxis({ x: 0, y: 0, z: -1 }) },
      push_length: 0,
    });
    await bus.settle();
    expect(statuses[statuses.length - 1]).toMatchObject({
      actions_executed: 1,
      last_action_type: 1,
      last_action_success: true,
      last_action_outcome: 'grasped',
      objects_remaining: 0,
      scene_changed: true,
    });

    act.publish(push);
    await bus.settle();
    expect(statuses[statuses.length - 1]).toMatchObject({
      actions_executed: 2,
      last_action_type: 0,
      objects_remaining: 0,
    });

    act.publish({ ...push, type: 7 });
    await bus.settle();
    expect(logs.some((l) => l.level === 'warn' && l.message.includes('unknown action type 7'))).toBe(true);

    const reset = watcher.createClient('grasp_perception/srv/ResetSim', '/camera/sim_node/reset');
    const ok = await reset.call({ scenario: 'scenarios/stacked-pyramid.yaml', seed: 2, objects: 0 }, 20000);
    expect(ok).toMatchObject({ success: true, objects_remaining: 3 });
    const bad = await reset.call({ scenario: 'scenarios/missing.yaml', seed: 2, objects: 0 }, 20000);
    expect(bad.success).toBe(false);
    expect(bad.message).toContain('missing.yaml');
    await bus.settle();
    expect(statuses[statuses.length - 1]).toMatchObject({
      scenario: 'scenarios/stacked-pyramid.yaml',
      actions_executed: 0,
      objects_remaining: 3,
    });
  });
});
