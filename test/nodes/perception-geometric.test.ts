// perception_node with grasp_source geometric runs with no model at all (model_file_path pointing
// nowhere): it starts, publishes grasps on the simulated objects (well above a random pixel's rate),
// empty instances, and its suction heatmap holds the seal scores. Seed 5: a test seed.
import { InProcessBus, LogConfig, type LogRecord, QOS_DEFAULT } from '../../src/bus';
import { decodeFloat32Image } from '../../src/image';
import { type Image, type ObjectInstanceArray, type SuctionGraspArray } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { BinPickingSim } from '../../src/sim';

jest.setTimeout(120_000);

const SEED = 5;

function until(list: unknown[], n: number, ms = 60_000): Promise<void> {
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

describe('perception_node, grasp_source geometric, no model file', () => {
  let bus: InProcessBus | undefined;
  const running: RunningNode[] = [];
  afterEach(async () => {
    for (const r of running.splice(0)) await r.stop();
    await bus?.shutdown();
  });

  it('starts and publishes grasps on the objects, no instances, the seal scores as heatmap', async () => {
    const logs: LogRecord[] = [];
    bus = new InProcessBus({
      argv: [
        '--ros-args',
        '-p',
        'grasp_source:=geometric',
        '-p',
        'model_file_path:=/nonexistent/no-model.json',
        '-p',
        `seed:=${SEED}`,
        '-p',
        'objects:=10',
        '-p',
        'rate:=4',
      ],
      logConfig: new LogConfig('info', (r) => logs.push(r)),
    });
    running.push(await nodeEntry('perception_node').start(bus, { namespace: '/camera' }));
    running.push(await nodeEntry('sim_node').start(bus, { namespace: '/camera' }));
    const watcher = bus.createNode('watcher');
    const grasps: SuctionGraspArray[] = [];
    const instances: ObjectInstanceArray[] = [];
    const heatmaps: Image[] = [];
    const topic = (name: string) => `/camera/perception_node/${name}`;
    watcher.createSubscription(
      'grasp_perception/msg/SuctionGraspArray',
      topic('suction_grasps'),
      QOS_DEFAULT,
      (m) => void grasps.push(m),
    );
    watcher.createSubscription(
      'grasp_perception/msg/ObjectInstanceArray',
      topic('instances'),
      QOS_DEFAULT,
      (m) => void instances.push(m),
    );
    watcher.createSubscription(
      'sensor_msgs/msg/Image',
      topic('suction_heatmap'),
      QOS_DEFAULT,
      (m) => void heatmaps.push(m),
    );
    await until(grasps, 1);
    await until(instances, 1);
    await until(heatmaps, 1);
    for (const r of running.splice(0)) await r.stop();
    await bus.shutdown();
    bus = undefined;

    // The simulator's own ground truth for the same episode (sim_node's camera).
    const sim = await BinPickingSim.random(
      { count: 10, seed: SEED },
      { camera: { width: 640, height: 480, fx: 615, fy: 615 } },
    );
    const f = sim.frame({ realism: false });
    sim.dispose();
    // Trivial baseline: a random pixel is on an object this often.
    let objectPixels = 0;
    for (const id of f.instance) if (id > 0) objectPixels++;
    const randomPixel = objectPixels / f.instance.length;
    const top = grasps[0].grasps.slice(0, 5);
    expect(top.length).toBeGreaterThanOrEqual(3);
    const onObject = top.filter((g) => f.instance[g.v * f.width + g.u] > 0).length / top.length;
    expect({ onObject: onObject >= 0.8, margin: onObject >= randomPixel + 0.3 }).toEqual({
      onObject: true,
      margin: true,
    });
    expect(instances[0].instances).toEqual([]);
    const heat = decodeFloat32Image(heatmaps[0]);
    expect([heat.width, heat.height]).toEqual([640, 480]);
    // The best grasp's seal score is on the heatmap at its pixel.
    const best = grasps[0].grasps[0];
    expect(heat.values[best.v * 640 + best.u]).toBeCloseTo(best.score, 5);
    expect(logs.filter((r) => r.level === 'error' || r.level === 'fatal').map((r) => r.message)).toEqual([]);
  });
});
