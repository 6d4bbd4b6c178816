import * as path from 'node:path';
import {
  type Bus,
  type CreateNodeOptions,
  param,
  QOS_CLOCK,
  QOS_DEFAULT,
  QOS_SENSOR_DATA,
  QOS_TRANSIENT_LOCAL,
} from '../../bus';
import {
  PACKAGE_ROOT,
  type ResetSimRequest,
  type ResetSimResponse,
  type SimStatus,
  SimStatusConstants,
  secondsToTime,
} from '../../msg';
import {
  BinPickingSim,
  defaultCameraConfig,
  executeAction,
  loadCell,
  loadScenario,
  type SimFrame,
} from '../../sim';
import { StaticTransformBroadcaster, TfBuffer } from '../../tf';
import { Diagnostics } from '../diagnostics';
import { type RunningNode } from '../registry';
import { SIM_FRAMES, simCameraTransform, simFrameToMessages } from './messages';

export const SIM_NODE_PARAMETERS = {
  scenario: param.string(
    '',
    "Scenario file (e.g. scenarios/packed-grid.yaml, relative to the package); '' = random clutter",
  ),
  cell: param.string(
    '',
    "Cell file (e.g. cells/arc_tote_sr300.yaml, relative to the package): bin, camera, objects and sensor of every random episode; '' = the default scenes",
    { readOnly: true },
  ),
  seed: param.integer(1, 'Random seed of the first episode', { range: { from: 0, to: 2147483647 } }),
  objects: param.integer(10, 'Objects in random clutter', { range: { from: 1, to: 40 } }),
  width: param.integer(640, 'Image width, pixels', { range: { from: 32, to: 1920 }, readOnly: true }),
  height: param.integer(480, 'Image height, pixels', { range: { from: 24, to: 1080 }, readOnly: true }),
  rate: param.double(15, 'Camera frame rate, Hz', { range: { from: 0.1, to: 60 } }),
  realism: param.bool(true, 'Depth noise, edge dropout and colour jitter'),
  publish_clock: param.bool(false, 'Publish /clock (simulated time) for nodes with use_sim_time'),
};

type Params = { [K in keyof typeof SIM_NODE_PARAMETERS]: (typeof SIM_NODE_PARAMETERS)[K]['default'] };

/**
 * sim_node: the simulator on the bus. Publishes colour, aligned depth (16UC1), camera_info and
 * /tf_static like a RealSense driver, executes PushGraspAction messages, resets on ~/reset, and
 * reports ~/status after every action.
 */
export async function startSimNode(bus: Bus, options: CreateNodeOptions): Promise<RunningNode> {
  const node = bus.createNode('sim_node', options);
  const p: Params = node.declareParameters(SIM_NODE_PARAMETERS);
  const diagnostics = new Diagnostics(node, 'bin_picking_sim');
  const color = node.createPublisher('sensor_msgs/msg/Image', 'color/image_raw', QOS_SENSOR_DATA);
  const depth = node.createPublisher('sensor_msgs/msg/Image', 'aligned_depth/image_raw', QOS_SENSOR_DATA);
  const info = node.createPublisher('sensor_msgs/msg/CameraInfo', 'color/camera_info', QOS_SENSOR_DATA);
  const status = node.createPublisher('grasp_perception/msg/SimStatus', '~/status', QOS_TRANSIENT_LOCAL);
  const clock = p.publish_clock
    ? node.createPublisher('rosgraph_msgs/msg/Clock', '/clock', QOS_CLOCK)
    : undefined;
  const tfStatic = new StaticTransformBroadcaster(node);
  const tf = new TfBuffer();
  const camera = defaultCameraConfig(p.width, p.height);
  // A bad cell file stops the node at start with one line naming the file and the key.
  const cell = p.cell ? loadCell(path.resolve(PACKAGE_ROOT, p.cell)) : null;

  let sim: BinPickingSim;
  let frame: SimFrame;
  let episode = { scenario: 'random', seed: p.seed };
  let actions = 0;
  let last: Pick<
    SimStatus,
    'last_action_type' | 'last_action_success' | 'last_action_outcome' | 'scene_changed'
  > = {
    last_action_type: SimStatusConstants.NONE,
    last_action_success: false,
    last_action_outcome: '',
    scene_changed: false,
  };

  const stamp = () => (p.publish_clock ? secondsToTime(sim.time) : node.clock.now());
  const render = (): void => {
    frame = sim.frame({ realism: p.realism });
  };
  const publishStatus = (): void => {
    status.publish({
      header: { stamp: stamp(), frame_id: SIM_FRAMES.world },
      objects_remaining: sim.objectsRemaining,
      actions_executed: actions,
      ...last,
      scenario: episode.scenario,
      seed: episode.seed,
    });
  };
  const startEpisode = async (scenario: string, seed: number, objects: number): Promise<void> => {
    let next: BinPickingSim;
    if (scenario) {
      next = await BinPickingSim.fromScenario(
        loadScenario(path.resolve(PACKAGE_ROOT, scenario)),
        { camera },
        seed,
      );
    } else if (cell) {
      // The cell decides the object count, camera and sensor (frame defaults); `objects` does not apply.
      const made = await BinPickingSim.fromCell(cell, seed, { size: { width: p.width, height: p.height } });
      next = made.sim;
    } else {
      next = await BinPickingSim.random({ count: objects, seed }, { camera });
    }
    sim?.dispose();
    sim = next;
    episode = { scenario: scenario || (cell ? `cell:${cell.name}` : 'random'), seed };
    actions = 0;
    last = {
      last_action_type: SimStatusConstants.NONE,
      last_action_success: false,
      last_action_outcome: '',
      scene_changed: false,
    };
    render();
    const t = simCameraTransform(frame, stamp());
    tf.setTransform(t, node.fullyQualifiedName, true);
    tfStatic.send(t);
    publishStatus();
  };
  await startEpisode(p.scenario, p.seed, p.objects);

  const publishFrame = (): void => {
    const m = simFrameToMessages(frame, stamp());
    color.publish(m.color);
    depth.publish(m.depth);
    info.publish(m.info);
    clock?.publish({ clock: stamp() });
  };
  const timer = node.createTimer(1 / p.rate, publishFrame);
  publishFrame();

  node.createSubscription('grasp_perception/msg/PushGraspAction', '~/action', QOS_DEFAULT, (a) => {
    try {
      // Actions may be posed in the camera frame or the world frame; the simulator acts in the world.
      const pose =
        a.header.frame_id && a.header.frame_id !== SIM_FRAMES.world
          ? tf.transformPose(SIM_FRAMES.world, a.header.frame_id, a.pose)
          : a.pose;
      const r = executeAction(sim, { ...a, pose });
      actions++;
      last = {
        last_action_type: a.type,
        last_action_success: r.success,
        last_action_outcome: r.outcome,
        scene_changed: r.sceneChanged,
      };
      render();
      publishStatus();
      publishFrame();
      diagnostics.report('simulator', {
        level: 'ok',
        message: `${actions} actions, ${sim.objectsRemaining} objects left`,
        values: { 'last outcome': r.outcome, scenario: episode.scenario, seed: episode.seed },
      });
    } catch (err) {
      // Every action gets a status, a rejected one too: the executive waiting on ~/status must never
      // wait out its timeout for an action the simulator refused.
      actions++;
      last = {
        last_action_type: a.type,
        last_action_success: false,
        last_action_outcome: 'rejected',
        scene_changed: false,
      };
      publishStatus();
      node.logger.warn(`rejected action: ${(err as Error).message}`);
      diagnostics.report('simulator', {
        level: 'warn',
        message: `rejected action: ${(err as Error).message}`,
        values: {},
      });
    }
  });

  node.createService(
    'grasp_perception/srv/ResetSim',
    '~/reset',
    async (req: ResetSimRequest): Promise<ResetSimResponse> => {
      try {
        if (!req.scenario && (req.objects < 1 || req.objects > 40))
          throw new RangeError(`objects must be 1-40, got ${req.objects}`);
        await startEpisode(req.scenario, req.seed, req.objects);
        publishFrame();
        return {
          success: true,
          message: `episode: ${episode.scenario}, seed ${episode.seed}`,
          objects_remaining: sim.objectsRemaining,
        };
      } catch (err) {
        return { success: false, message: (err as Error).message, objects_remaining: sim.objectsRemaining };
      }
    },
  );

  diagnostics.report('simulator', {
    level: 'ok',
    message: 'running',
    values: { scenario: episode.scenario, seed: episode.seed },
  });
  return {
    node,
    diagnostics,
    stop: async () => {
      timer.cancel();
      diagnostics.stop();
      node.destroy();
      sim.dispose();
    },
  };
}
