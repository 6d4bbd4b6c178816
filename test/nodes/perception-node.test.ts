// sim_node + perception_node on the in-process bus with the shipped model: the grasps land on objects'
// graspable surfaces per the simulator's own ground truth (well above a random pixel's rate), at the
// true surface point.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InProcessBus, LogConfig, type LogRecord, QOS_DEFAULT } from '../../src/bus';
import { type ObjectInstanceArray, type SuctionGraspArray, type Image } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { BinPickingSim } from '../../src/sim';

jest.setTimeout(120_000);

const SEEDS = [3, 4];

function until<T>(list: T[], n: number, ms = 60_000): Promise<void> {
  const start = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (list.length >= n) resolve();
      else if (Date.now() - start > ms)
        reject(new Error(`waited ${ms} ms for ${n} messages, got ${list.length}`));
      else setTimeout(tick, 20);
    };
    tick();
  });
}

describe('perception_node with sim_node', () => {
  let bus: InProcessBus | undefined;
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await bus?.shutdown();
  });

  it('top-5 grasps lie on graspable surfaces, at the true surface point', async () => {
    let onSurface = 0;
    let total = 0;
    // Trivial baseline: a grasp at a random pixel lands on a graspable surface this often.
    const randomPixelRates: number[] = [];
    const errorsMm: number[] = [];
    for (const seed of SEEDS) {
      const logs: LogRecord[] = [];
      bus = new InProcessBus({
        argv: ['--ros-args', '-p', `seed:=${seed}`, '-p', 'objects:=10', '-p', 'rate:=4'],
        logConfig: new LogConfig('info', (r) => logs.push(r)),
      });
      running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
      running.push(await nodeEntry('sim_node').start(bus, { namespace: '/camera' }));
      const watcher = bus.createNode('watcher');
      const grasps: SuctionGraspArray[] = [];
      const instances: ObjectInstanceArray[] = [];
      const labels: Image[] = [];
      watcher.createSubscription(
        'grasp_perception/msg/SuctionGraspArray',
        '/camera/perception_node/suction_grasps',
        QOS_DEFAULT,
        (m) => void grasps.push(m),
      );
      watcher.createSubscription(
        'grasp_perception/msg/ObjectInstanceArray',
        '/camera/perception_node/instances',
        QOS_DEFAULT,
        (m) => void instances.push(m),
      );
      watcher.createSubscription(
        'sensor_msgs/msg/Image',
        '/camera/perception_node/instance_labels',
        QOS_DEFAULT,
        (m) => void labels.push(m),
      );
      await until(grasps, 1);
      await until(instances, 1);
      for (const r of running.splice(0)) await r.stop();
      await bus.shutdown();
      bus = undefined;

      // The simulator's own ground truth for the same episode (sim_node's camera).
      const sim = await BinPickingSim.random(
        { count: 10, seed },
        { camera: { width: 640, height: 480, fx: 615, fy: 615 } },
      );
      const f = sim.frame({ realism: false });
      sim.dispose();
      let graspable = 0;
      for (let k = 0; k < f.instance.length; k++) if (f.instance[k] > 0 && f.suction![k] >= 0.5) graspable++;
      randomPixelRates.push(graspable / f.instance.length);
      const msg = grasps[0];
      expect(msg.header.frame_id).toBe('camera_color_optical_frame');
      expect(msg.grasps.length).toBeGreaterThanOrEqual(5);
      for (const g of msg.grasps.slice(0, 5)) {
        const k = g.v * f.width + g.u;
        total++;
        if (f.instance[k] > 0 && f.suction![k] >= 0.5) onSurface++;
        const z = f.depthExact[k];
        const x = ((g.u - f.intrinsics.cx) / f.intrinsics.fx) * z;
        const y = ((g.v - f.intrinsics.cy) / f.intrinsics.fy) * z;
        const p = g.pose.position;
        errorsMm.push(1000 * Math.hypot(p.x - x, p.y - y, p.z - z));
      }
      expect(instances[0].instances.length).toBeGreaterThan(3);
      expect(labels[0].encoding).toBe('mono16');
      expect(logs.filter((r) => r.level === 'error' || r.level === 'fatal').map((r) => r.message)).toEqual(
        [],
      );
    }
    errorsMm.sort((a, b) => a - b);
    const median = errorsMm[errorsMm.length >> 1];
    const randomPixel = randomPixelRates.reduce((a, b) => a + b, 0) / randomPixelRates.length;
    expect(Number.isFinite(median)).toBe(true);
    expect({
      onSurface: onSurface / total >= 0.8,
      marginOverRandomPixel: onSurface / total >= randomPixel + 0.3,
      median: median < 5,
    }).toEqual({ onSurface: true, marginOverRandomPixel: true, median: true });
  });

  it('a missing model stops the node at start with one clear error', async () => {
    bus = new InProcessBus({ argv: ['--ros-args', '-p', 'model_file_path:=/nonexistent/model.json'] });
    await expect(nodeEntry('perception_node').start(bus, {})).rejects.toThrow(
      'perception_node: /nonexistent/model.json: model manifest not found',
    );
  });

  it('a corrupt model file stops the node at start with one clear error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gp-node-'));
    const src = path.join(__dirname, '../../models/fast_graspnext.json');
    const m = JSON.parse(fs.readFileSync(src, 'utf8')) as { model_file: string };
    fs.copyFileSync(src, path.join(dir, 'm.json'));
    fs.writeFileSync(path.join(dir, m.model_file), 'not an onnx model');
    bus = new InProcessBus({ argv: ['--ros-args', '-p', `model_file_path:=${path.join(dir, 'm.json')}`] });
    await expect(nodeEntry('perception_node').start(bus, {})).rejects.toThrow(/corrupt or replaced/);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('perception_node triggered mode', () => {
  let bus: InProcessBus | undefined;
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await bus?.shutdown();
  });

  it('processes frames only for ~/detect requests, and answers within the timeout', async () => {
    bus = new InProcessBus({
      argv: [
        '--ros-args',
        '-p',
        'mode:=triggered',
        '-p',
        'rate:=10',
        '-p',
        'width:=320',
        '-p',
        'height:=240',
      ],
    });
    running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
    const watcher = bus.createNode('planner');
    const published: SuctionGraspArray[] = [];
    watcher.createSubscription(
      'grasp_perception/msg/SuctionGraspArray',
      '/camera/perception_node/suction_grasps',
      QOS_DEFAULT,
      (m) => void published.push(m),
    );
    const client = watcher.createClient(
      'grasp_perception/srv/DetectGrasps',
      '/camera/perception_node/detect',
    );
    // No camera yet: the request times out with a reason.
    const early = await client.call({ timeout: 0.3 });
    expect(early.success).toBe(false);
    expect(early.message).toMatch(/no synchronised RGB-D frame was processed within 0.3 s/);
    running.push(await nodeEntry('sim_node').start(bus, { namespace: '/camera' }));
    await new Promise((r) => setTimeout(r, 500));
    expect(published).toHaveLength(0); // frames arrive, but nobody asked
    const r = await client.call({ timeout: 5 });
    expect(r.success).toBe(true);
    expect(r.grasps.grasps.length).toBeGreaterThan(0);
    expect(r.instances.instances.length).toBeGreaterThan(0);
    expect(r.grasps.header.frame_id).toBe('camera_color_optical_frame');
    await bus.settle();
    expect(published).toHaveLength(1);
  });
});

describe('perception_node grasp frame and workspace', () => {
  let bus: InProcessBus | undefined;
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await bus?.shutdown();
  });

  async function firstGrasps(extra: string[]): Promise<SuctionGraspArray> {
    bus = new InProcessBus({
      argv: [
        '--ros-args',
        '-p',
        'rate:=5',
        '-p',
        'width:=320',
        '-p',
        'height:=240',
        '-p',
        'grasp_frame_id:=world',
        ...extra,
      ],
    });
    running.push(await nodeEntry('sim_node').start(bus, { namespace: '/camera' }));
    running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
    const got: SuctionGraspArray[] = [];
    bus
      .createNode('planner')
      .createSubscription(
        'grasp_perception/msg/SuctionGraspArray',
        '/camera/perception_node/suction_grasps',
        QOS_DEFAULT,
        (m) => void got.push(m),
      );
    await until(got, 1);
    for (const r of running.splice(0)) await r.stop();
    await bus.shutdown();
    bus = undefined;
    return got[0];
  }

  it('publishes grasps in the TF frame asked for, and drops those outside the workspace', async () => {
    const inWorld = await firstGrasps([]);
    expect(inWorld.header.frame_id).toBe('world');
    expect(inWorld.grasps.length).toBeGreaterThan(0);
    for (const g of inWorld.grasps) {
      // On objects in the bin: above the floor, well below the camera.
      expect(g.pose.position.z).toBeGreaterThan(-0.02);
      expect(g.pose.position.z).toBeLessThan(0.3);
    }
    const none = await firstGrasps([
      '-p',
      'workspace_min:=[5.0, 5.0, 5.0]',
      '-p',
      'workspace_max:=[6.0, 6.0, 6.0]',
    ]);
    expect(none.header.frame_id).toBe('world');
    expect(none.grasps).toEqual([]);
  });
});
