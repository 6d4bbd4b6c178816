// sim_node with its `cell` parameter: the cell's camera, bin and objects on the camera topics.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InProcessBus, QOS_SENSOR_DATA, QOS_TRANSIENT_LOCAL } from '../../src/bus';
import { type CameraInfo, PACKAGE_ROOT, type SimStatus } from '../../src/msg';
import { nodeEntry, type RunningNode } from '../../src/nodes';
import { BinPickingSim, loadCell } from '../../src/sim';

const args = (cell: string) => ['--ros-args', '-p', `cell:=${cell}`, '-p', 'seed:=4', '-p', 'rate:=5'];

describe('sim_node with a cell', () => {
  let bus: InProcessBus | undefined;
  let running: RunningNode | undefined;
  afterEach(async () => {
    await running?.stop();
    await bus?.shutdown();
    running = undefined;
    bus = undefined;
  });

  it('publishes the cell’s camera (calibration file) and scene, and names the cell in ~/status', async () => {
    // A small cell of the same kind as cells/arc_tote_sr300.yaml (calibration file, fixed pose, tote).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-node-'));
    fs.writeFileSync(
      path.join(dir, 'cam.yaml'),
      fs
        .readFileSync(path.join(PACKAGE_ROOT, 'cells', 'sr300.yaml'), 'utf8')
        .replace('image_width: 640', 'image_width: 160')
        .replace('image_height: 480', 'image_height: 120')
        .replace(
          '[617.0, 0.0, 318.0, 0.0, 617.0, 243.0, 0.0, 0.0, 1.0]',
          '[154, 0, 79, 0, 154, 61, 0, 0, 1]',
        ),
    );
    const cellFile = path.join(dir, 'tote.yaml');
    fs.writeFileSync(
      cellFile,
      [
        'name: small_tote',
        'camera: { calibration: cam.yaml, pose: { position: [0, -0.05, 0.6], look_at: [0, 0, 0] } }',
        'bin: { inner_size: 0.3, wall_height: 0.15 }',
        'objects: { set: [{ family: box, count: 2 }, { family: can, count: 1 }] }',
        'sensor: structured_light',
        'randomization: { bin: { colors: [red] } }',
        '',
      ].join('\n'),
    );
    bus = new InProcessBus({ argv: args(cellFile) });
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
    const infos: CameraInfo[] = [];
    watcher.createSubscription(
      'sensor_msgs/msg/CameraInfo',
      '/camera/color/camera_info',
      QOS_SENSOR_DATA,
      (m) => {
        infos.push(m);
      },
    );
    for (let i = 0; i < 50 && infos.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await bus.settle();
    }
    expect(infos.length).toBeGreaterThan(0);
    expect([infos[0].width, infos[0].height]).toEqual([160, 120]);
    expect(Array.from(infos[0].k)).toEqual([154, 0, 79, 0, 154, 61, 0, 0, 1]);

    // The same cell and seed, built here: the node's episode has exactly its objects.
    const { sim } = await BinPickingSim.fromCell(loadCell(cellFile), 4);
    const expected = sim.objectsRemaining;
    sim.dispose();
    // Two boxes and a can, unless one spilled over the walls while settling.
    expect(expected).toBeGreaterThanOrEqual(2);
    expect(statuses[0]).toMatchObject({
      scenario: 'cell:small_tote',
      seed: 4,
      objects_remaining: expected,
    });
  });

  it('a bad cell file stops the node at start with one line naming the file and the key', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cell-node-'));
    const file = path.join(dir, 'cell.yaml');
    fs.writeFileSync(file, 'name: x\nrandomization:\n  misregistration_px: [9, 2]\n');
    bus = new InProcessBus({ argv: args(file) });
    await expect(nodeEntry('sim_node').start(bus, { namespace: '/camera' })).rejects.toThrow(
      `${file}: randomization.misregistration_px: impossible range: min 9 > max 2`,
    );
  });
});
