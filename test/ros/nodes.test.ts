// The six nodes as separate processes over DDS, started as an integrator starts them: `ros2 run
// grasp_perception <node>` with the package's params file. sim_node feeds perception_node across
// processes and this test process, a third one, receives and decodes the grasps.
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { QOS_DEFAULT } from '../../src/bus';
import { RclnodejsBus } from '../../src/bus/rclnodejs-bus';
import { type SuctionGraspArray } from '../../src/msg';
import { DEFAULT_GEOMETRIC_PARAMS } from '../../src/perception/geometric-grasps';
import { poll, ros2, type RosProcess, startProcess, waitForNodes, WORKSPACE_SHARE } from './processes';

const NS = '/gp_run';
const NODES: Record<string, string> = {
  camera_check_node: 'camera_check.yaml',
  sim_node: 'sim.yaml',
  perception_node: 'perception.yaml',
  segmentation_node: 'segmentation.yaml',
  policy_node: 'policy.yaml',
  pick_executive_node: 'pick_executive.yaml',
};

describe('ros2 run: every node as its own process', () => {
  const procs: RosProcess[] = [];
  let bus: RclnodejsBus | undefined;

  before(async () => {
    for (const [node, config] of Object.entries(NODES)) {
      procs.push(
        startProcess(node, 'ros2', [
          'run',
          'grasp_perception',
          node,
          '--ros-args',
          '--params-file',
          path.join(WORKSPACE_SHARE, 'config', config),
          '-r',
          `__ns:=${NS}`,
        ]),
      );
    }
    await Promise.all(procs.map((p) => p.waitForOutput(/running on the rclnodejs bus as /, 90_000)));
  });

  after(async () => {
    await bus?.shutdown();
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('ros2 node list shows all six, and they stay up', async () => {
    const listed = await waitForNodes(
      Object.keys(NODES).map((n) => `${NS}/${n}`),
      60_000,
    );
    expect(listed).toEqual(expect.arrayContaining(Object.keys(NODES).map((n) => `${NS}/${n}`)));
    await new Promise((r) => setTimeout(r, 3000));
    expect(procs.filter((p) => p.exited()).map((p) => `${p.name}:\n${p.output()}`)).toEqual([]);
  });

  it('sim_node → perception_node across processes; a third process receives decodable grasps', async () => {
    bus = await RclnodejsBus.create([]);
    const got: SuctionGraspArray[] = [];
    bus
      .createNode('grasp_listener')
      .createSubscription(
        'grasp_perception/msg/SuctionGraspArray',
        `${NS}/perception_node/suction_grasps`,
        QOS_DEFAULT,
        (m) => {
          got.push(m);
        },
      );
    await poll(
      '5 grasp arrays with grasps',
      () => (got.filter((g) => g.grasps.length > 0).length >= 5 ? true : undefined),
      60_000,
    );
    for (const g of got.filter((a) => a.grasps.length > 0)) {
      expect(g.header.frame_id).toBe('camera_color_optical_frame');
      for (const s of g.grasps) {
        const { position: p, orientation: q } = s.pose;
        expect([p.x, p.y, p.z, q.x, q.y, q.z, q.w, s.score].every(Number.isFinite)).toBe(true);
        // The bin floor is 0.7 m below the sim's camera: every grasp lies between camera and floor.
        expect(p.z).toBeGreaterThan(0.3);
        expect(p.z).toBeLessThan(0.75);
        expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 4);
        // Any grasp source keeps grasps down to the geometric stage's least score at most (network: suction_threshold).
        expect(s.score).toBeGreaterThanOrEqual(DEFAULT_GEOMETRIC_PARAMS.minScore);
        expect(s.score).toBeLessThanOrEqual(1);
        expect(s.u).toBeLessThan(640);
        expect(s.v).toBeLessThan(480);
      }
    }
  });

  it('ros2 param set: a writable parameter changes, a read-only one is refused', () => {
    const node = `${NS}/perception_node`;
    const set = ros2(['param', 'set', node, 'confidence_threshold', '0.4']);
    expect(set.output).toContain('Set parameter successful');
    expect(ros2(['param', 'get', node, 'confidence_threshold']).output).toContain('0.4');
    const outOfRange = ros2(['param', 'set', node, 'confidence_threshold', '7.5']);
    expect(outOfRange.output).toContain('Setting parameter failed');
    expect(ros2(['param', 'get', node, 'confidence_threshold']).output).toContain('0.4');
    const readOnly = ros2(['param', 'set', node, 'model_file_path', 'models/other.json']);
    expect(readOnly.output).toMatch(/Setting parameter failed.*read-?only/is);
    const width = ros2(['param', 'set', `${NS}/sim_node`, 'width', '320']);
    expect(width.output).toMatch(/Setting parameter failed.*read-?only/is);
    expect(ros2(['param', 'get', `${NS}/sim_node`, 'width']).output).toContain('640');
  });

  it('parameter events go to /parameter_events, not under the namespace', () => {
    const topics = ros2(['topic', 'list', '--no-daemon']).output.split('\n');
    expect(topics).toContain('/parameter_events');
    expect(topics.filter((t) => t.endsWith('/parameter_events'))).toEqual(['/parameter_events']);
  });

  it('every node stops cleanly on SIGINT', async () => {
    const codes = await Promise.all(procs.map((p) => p.stop(10_000)));
    // A failure shows what the node printed.
    expect(
      codes.map((c, i) => (c === 0 ? 0 : `${procs[i].name} exited ${c}:\n${procs[i].output().slice(-2000)}`)),
    ).toEqual(procs.map(() => 0));
  });
});
