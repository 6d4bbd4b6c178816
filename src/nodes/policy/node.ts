import { type Bus, type CreateNodeOptions, param, QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../../bus';
import { imageToRgb } from '../../image';
import {
  type DecideActionResponse,
  type Header,
  type Image,
  type PushGraspAction,
  PushGraspActionConstants,
  type SimStatus,
  timeToNanos,
} from '../../msg';
import { actionMessage } from '../../policy/episode';
import {
  DEFAULT_FAILED_GRASP_MEMORY,
  type FailedGrasp,
  memoryOn,
  rememberAction,
} from '../../policy/grasp-memory';
import { computeHeightmap, gridSize, workspaceGrid } from '../../policy/heightmap';
import { decide, type PolicyDecision, policySpecs, usesSuction } from '../../policy/policy';
import { renderQMaps } from '../../policy/visualize';
import { TfListener } from '../../tf';
import { Diagnostics } from '../diagnostics';
import { modelParameters, openNodeModel } from '../model-loader';
import { LatestFrameWorker } from '../perception/latest-frame';
import { type RunningNode } from '../registry';
import { MAX_SERVICE_TIMEOUT_SEC, serviceTimeout } from '../service-timeout';
import {
  checkRgbdInputParameters,
  RGBD_INPUT_PARAMETERS,
  type RgbdFault,
  type RgbdFrame,
  RgbdInput,
  rgbdInputOptions,
  reportRgbdFault,
  reportRgbdFrame,
} from '../rgbd-input';
import {
  checkHeatmapSize,
  checkSuctionHeatmap,
  type SuctionHeatmap,
  type SuctionHeatmapFault,
} from './suction-heatmap';

export const POLICY_PARAMETERS = {
  ...modelParameters('models/policy_reduced_qat.json', 1),
  ...RGBD_INPUT_PARAMETERS,
  world_frame: param.string(
    'world',
    "Frame of the workspace grid (the manifest's policy.grid) and of actions",
  ),
  workspace_size: param.doubleArray(
    [],
    "Inner floor [x, y] of the bin (or table area) the grid covers, metres, centred on world_frame's origin: the grid keeps the manifest's cell size and takes the cells this workspace needs (policies trained on randomised cells, docs/policy.md); [] = the manifest's policy.grid (each 0.05-2 m, checked at start: ROS ranges apply to scalars only)",
  ),
  mode: param.string(
    'triggered',
    "'triggered': decide for ~/decide requests on the next fresh frame; 'continuous': every frame",
    { choices: ['triggered', 'continuous'], readOnly: true },
  ),
  decide_timeout: param.double(2.0, 'Default seconds ~/decide waits for a fresh frame (request timeout 0)', {
    range: { from: 0.01, to: 600 },
  }),
  publish_q_maps: param.bool(true, 'Publish ~/q_maps (rgb8: grasp Q | best push Q, action marked)'),
  failed_grasp_radius: param.double(
    DEFAULT_FAILED_GRASP_MEMORY.radius,
    "Failed-grasp memory: grasps this close (m) to a recent failed grasp are not admissible; 0 = off. Needs ~/executor_status (the executor's SimStatus)",
    { range: { from: 0, to: 0.5 } },
  ),
  failed_grasp_actions: param.integer(
    DEFAULT_FAILED_GRASP_MEMORY.actions,
    'Failed-grasp memory: a failure is remembered for this many executed actions',
    { range: { from: 0, to: 1000 } },
  ),
  diagnostics_period: param.double(1.0, 'Seconds between /diagnostics messages', {
    range: { from: 0.1, to: 10 },
  }),
};

interface Pending {
  /** Frames stamped before this (node clock, ns) show the scene before the last action. */
  notBefore: bigint;
  resolve: (r: DecideActionResponse) => void;
}

const NO_ACTION: PushGraspAction = {
  header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
  type: 0,
  pose: { position: { x: 0, y: 0, z: 0 }, orientation: { x: 0, y: 0, z: 0, w: 1 } },
  push_length: 0,
  q_value: 0,
  u: 0,
  v: 0,
  angle: 0,
};

/**
 * Why nothing was admissible: invalid depth (the frame's warning), no depth point in the workspace,
 * or a workspace that really looks empty.
 */
function emptyReason(frame: RgbdFrame, observed: Uint8Array): { message: string; code?: string } {
  const depthWarning = frame.warnings.find((w) => w.stream === 'depth');
  if (depthWarning) {
    return {
      message: `nothing admissible: the depth is unusable (${depthWarning.message})`,
      code: depthWarning.code,
    };
  }
  if (!observed.some((o) => o === 1)) {
    return {
      message:
        'nothing admissible: no depth point falls inside the workspace grid (check world_frame, the camera transform and min_depth/max_depth)',
      code: 'WORKSPACE_NOT_OBSERVED',
    };
  }
  return { message: 'nothing admissible: the workspace looks empty' };
}

/**
 * policy_node: synchronised RGB-D (and, for models that take it, perception's suction heatmap) in;
 * a heightmap of the workspace in the world frame via TF, the push-and-grasp Q network, and the greedy
 * PushGraspAction out (~/action, and the ~/decide service), with ~/q_maps for viewing.
 */
export async function startPolicy(bus: Bus, options: CreateNodeOptions): Promise<RunningNode> {
  const node = bus.createNode('policy_node', options);
  const p = node.declareParameters(POLICY_PARAMETERS);
  checkRgbdInputParameters(node, p);
  if (
    (p.workspace_size.length !== 0 && p.workspace_size.length !== 2) ||
    p.workspace_size.some((v) => !(v >= 0.05 && v <= 2))
  ) {
    node.destroy();
    throw new Error(
      `policy_node: parameter 'workspace_size' must be [] or [x, y] metres, each 0.05-2, got [${p.workspace_size.join(', ')}]`,
    );
  }
  const session = await openNodeModel(node, p, 'policy');
  const manifestSpecs = policySpecs(session.manifest);
  const [wx, wy] = p.workspace_size;
  const specs =
    p.workspace_size.length === 2
      ? {
          ...manifestSpecs,
          action: {
            ...manifestSpecs.action,
            grid: workspaceGrid([wx / 2, wy / 2], manifestSpecs.action.grid),
          },
        }
      : manifestSpecs;
  const cells = gridSize(specs.action.grid);
  if (Math.max(cells.width, cells.height) > specs.input.size) {
    await session.release();
    node.destroy();
    throw new Error(
      `policy_node: a ${wx} x ${wy} m workspace takes ${cells.width} x ${cells.height} cells, more than the network's ${specs.input.size} x ${specs.input.size} input (workspace_size)`,
    );
  }
  const wantsSuction = usesSuction(specs);
  const tf = new TfListener(node);
  const pubs = {
    action: node.createPublisher('grasp_perception/msg/PushGraspAction', '~/action', QOS_DEFAULT),
    qMaps: node.createPublisher('sensor_msgs/msg/Image', '~/q_maps', QOS_DEFAULT),
  };
  const diagnostics = new Diagnostics(node, 'grasp_perception', p.diagnostics_period);
  const pending: Pending[] = [];
  /** Suction heatmaps by stamp (newest few), for models with the suction channel. */
  const heatmaps = new Map<bigint, SuctionHeatmap>();
  let decisions = 0;
  let faults = 0;
  let last: { decision: PolicyDecision; totalMs: number } | undefined;
  // Failed-grasp memory: the executor's status says how the action this node answered last turned out.
  const memoryParams = { radius: p.failed_grasp_radius, actions: p.failed_grasp_actions };
  let failures: FailedGrasp[] = [];
  let answered: PushGraspAction | undefined;
  let executed = -1;

  const status = () => ({
    model: session.manifest.name,
    precision: session.manifest.precision,
    'execution provider': session.provider,
    mode: p.mode,
    rotations: specs.input.rotations,
    'failed-grasp memory': memoryOn(memoryParams)
      ? `${failures.length} remembered (radius ${memoryParams.radius} m, ${memoryParams.actions} actions)`
      : 'off',
    'input size': specs.input.size,
    channels: specs.input.channels.join(','),
    decisions,
    'frames dropped (model busy)': worker.dropped,
    'input faults': faults,
    'decide requests waiting': pending.length,
    ...(last
      ? {
          'latency (ms)': last.totalMs.toFixed(1),
          preprocess_ms: last.decision.timings.preprocessMs.toFixed(2),
          inference_ms: last.decision.timings.inferMs.toFixed(2),
          postprocess_ms: last.decision.timings.postprocessMs.toFixed(2),
          'last action': last.decision.action
            ? `${last.decision.action.primitive} q=${last.decision.action.q.toFixed(3)}`
            : 'none admissible',
        }
      : {}),
    ...input.counters(),
  });
  const onFault = (fault: RgbdFault): void => {
    faults++;
    reportRgbdFault(node, diagnostics, fault, { 'input faults': faults, ...input.counters() });
  };

  /** A suction heatmap fault: its own status and fault code, and the requests its frame would answer. */
  const onHeatmapFault = (fault: SuctionHeatmapFault, stamp?: bigint): void => {
    faults++;
    node.logger.throttle('warn', fault.code, 5, fault.message);
    diagnostics.report('suction heatmap', {
      level: 'warn',
      message: fault.message,
      values: { 'fault code': fault.code, 'input faults': faults },
    });
    if (stamp !== undefined) answer({ success: false, message: fault.message, action: NO_ACTION }, stamp);
  };

  /** Answers the requests a frame stamped `stamp` may answer (made before it); all when omitted. */
  const answer = (r: DecideActionResponse, stamp?: bigint) => {
    for (const w of pending.filter((w) => stamp === undefined || w.notBefore <= stamp)) {
      pending.splice(pending.indexOf(w), 1);
      w.resolve(r);
    }
  };

  const decideOn = async (frame: RgbdFrame): Promise<void> => {
    const t0 = Date.now();
    const stamp = timeToNanos(frame.header.stamp);
    let worldFromCamera;
    try {
      worldFromCamera = tf.buffer.lookupTransform(
        p.world_frame,
        frame.header.frame_id,
        frame.header.stamp,
        0.1,
      ).transform;
    } catch (err) {
      const message = `no transform ${p.world_frame} <- ${frame.header.frame_id}: ${(err as Error).message}`;
      onFault({ stream: 'sync', code: 'TF_UNAVAILABLE', message });
      answer({ success: false, message, action: NO_ACTION }, stamp);
      return;
    }
    const heat = wantsSuction ? heatmaps.get(stamp) : undefined;
    if (heat) {
      const sizeFault = checkHeatmapSize(heat, frame.camera.width, frame.camera.height);
      if (sizeFault) {
        onHeatmapFault(sizeFault, stamp);
        return;
      }
      diagnostics.report('suction heatmap', {
        level: 'ok',
        message: 'suction heatmaps valid',
        values: { 'heatmap size': `${heat.width}x${heat.height}` },
      });
    }
    const suction = heat?.values;
    const hm = computeHeightmap(
      imageToRgb(frame.color),
      frame.depth.metres,
      frame.camera,
      worldFromCamera,
      specs.action.grid,
      suction,
    );
    const decision = await decide(session.run, specs, hm, { failures, params: memoryParams });
    decisions++;
    last = { decision, totalMs: Date.now() - t0 };
    const header: Header = { stamp: frame.header.stamp, frame_id: p.world_frame };
    if (p.publish_q_maps) {
      const img = renderQMaps(decision, hm, specs.input.size, specs.input.rotations);
      pubs.qMaps.publish({
        header,
        height: img.height,
        width: img.width,
        encoding: 'rgb8',
        is_bigendian: 0,
        step: img.width * 3,
        data: img.data,
      });
    }
    if (!decision.action) {
      const why = emptyReason(frame, hm.observed);
      diagnostics.report('policy', {
        level: 'warn',
        message: why.message,
        values: { ...status(), ...(why.code ? { 'fault code': why.code } : {}) },
      });
      answer({ success: false, message: why.message, action: NO_ACTION }, stamp);
      return;
    }
    const msg = actionMessage(decision.action, header, specs.action.pushLength);
    answered = msg;
    pubs.action.publish(msg);
    diagnostics.report('policy', {
      level: 'ok',
      message: `${decision.action.primitive} (q ${decision.action.q.toFixed(3)})`,
      values: status(),
    });
    answer(
      {
        success: true,
        message: `${decision.action.primitive} at q ${decision.action.q.toFixed(3)}`,
        action: msg,
      },
      stamp,
    );
  };

  // A model with the suction channel decides on frames whose heatmap (same stamp) has arrived: perception
  // drops frames while busy, so frames wait here for theirs (the newest few are kept).
  const frames = new Map<bigint, RgbdFrame>();
  /** Keeps the newest 8; returns the stamps pushed out. */
  const keepNewest = <T>(m: Map<bigint, T>, stamp: bigint, v: T): bigint[] => {
    m.set(stamp, v);
    const evicted: bigint[] = [];
    while (m.size > 8) {
      const oldest = m.keys().next().value as bigint;
      m.delete(oldest);
      evicted.push(oldest);
    }
    return evicted;
  };
  const HEATMAP_MISSING: SuctionHeatmapFault = {
    code: 'SUCTION_HEATMAP_MISSING',
    message:
      'frames arrive but no ~/suction_heatmap with their stamps (is perception_node running, and ~/suction_heatmap remapped to its suction_heatmap?)',
  };
  const offer = (frame: RgbdFrame): void => {
    if (p.mode === 'continuous') {
      worker.push(frame);
      return;
    }
    const stamp = timeToNanos(frame.header.stamp);
    if (pending.some((w) => stamp >= w.notBefore)) worker.push(frame);
  };
  const heatSub = wantsSuction
    ? node.createSubscription('sensor_msgs/msg/Image', '~/suction_heatmap', QOS_DEFAULT, (img: Image) => {
        const stamp = timeToNanos(img.header.stamp);
        const map = checkSuctionHeatmap(img);
        if ('code' in map) {
          onHeatmapFault(map, frames.has(stamp) ? stamp : undefined);
          frames.delete(stamp);
          return;
        }
        keepNewest(heatmaps, stamp, map);
        const frame = frames.get(stamp);
        if (frame) offer(frame);
      })
    : undefined;

  const statusSub = memoryOn(memoryParams)
    ? node.createSubscription(
        'grasp_perception/msg/SimStatus',
        '~/executor_status',
        QOS_TRANSIENT_LOCAL,
        (st: SimStatus) => {
          // Each executed action once; the outcome belongs to the action answered last (one executive).
          if (st.actions_executed <= executed) return;
          const first = executed < 0;
          executed = st.actions_executed;
          if (first || !answered || st.last_action_type !== answered.type) return;
          const grasp = answered.type === PushGraspActionConstants.GRASP;
          failures = rememberAction(
            failures,
            {
              primitive: grasp ? 'grasp' : 'push',
              success: grasp ? st.last_action_success : st.scene_changed,
              position: answered.pose.position,
            },
            memoryParams,
          );
          answered = undefined;
        },
      )
    : undefined;

  const worker = new LatestFrameWorker<RgbdFrame>(decideOn, (err) => {
    faults++;
    node.logger.throttle('error', 'policy', 5, `policy failed: ${err.message}`);
    diagnostics.report('policy', {
      level: 'error',
      message: `policy failed: ${err.message}`,
      values: status(),
    });
    answer({ success: false, message: `policy failed: ${err.message}`, action: NO_ACTION });
  });
  const input = new RgbdInput(
    node,
    rgbdInputOptions(p),
    (frame) => {
      if (frame.warnings.length > 0) faults++;
      reportRgbdFrame(
        node,
        diagnostics,
        frame,
        { level: 'ok', message: 'synchronised RGB-D frames', values: input.counters() },
        { 'input faults': faults, ...input.counters() },
      );
      const stamp = timeToNanos(frame.header.stamp);
      if (!wantsSuction) offer(frame);
      else if (heatmaps.has(stamp)) offer(frame);
      else if (keepNewest(frames, stamp, frame).length > 0) onHeatmapFault(HEATMAP_MISSING);
    },
    onFault,
  );
  node.createService('grasp_perception/srv/DecideAction', '~/decide', (req) => {
    const timeout = serviceTimeout(req.timeout, p.decide_timeout);
    const within = `${timeout.seconds} s${timeout.clamped ? ` (request ${req.timeout} s, clamped to ${MAX_SERVICE_TIMEOUT_SEC} s)` : ''}`;
    return new Promise<DecideActionResponse>((resolve) => {
      const entry: Pending = {
        notBefore: timeToNanos(node.clock.now()),
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      const timer = setTimeout(() => {
        const i = pending.indexOf(entry);
        if (i >= 0) pending.splice(i, 1);
        const waitedForHeatmap = wantsSuction && [...frames.keys()].some((st) => st >= entry.notBefore);
        if (waitedForHeatmap) onHeatmapFault(HEATMAP_MISSING);
        resolve({
          success: false,
          message: `no fresh synchronised RGB-D frame${wantsSuction ? ' with its ~/suction_heatmap' : ''} within ${within} (check the camera topics and /diagnostics)`,
          action: NO_ACTION,
        });
      }, timeout.ms);
      pending.push(entry);
    });
  });
  input.watchSync(node, p.diagnostics_period, onFault);
  diagnostics.report('policy', {
    level: 'ok',
    message: `${session.manifest.name} loaded on ${session.provider}; ${p.mode === 'triggered' ? 'waiting for ~/decide' : 'waiting for frames'}`,
    values: status(),
  });
  return {
    node,
    diagnostics,
    idle: () => worker.drain(),
    stop: async () => {
      diagnostics.stop();
      input.destroy();
      heatSub?.destroy();
      statusSub?.destroy();
      tf.destroy();
      await worker.drain();
      await session.release();
      node.destroy();
    },
  };
}
