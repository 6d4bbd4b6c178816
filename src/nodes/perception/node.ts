import * as path from 'node:path';
import { type Bus, type BusNode, type CreateNodeOptions, param, QOS_DEFAULT } from '../../bus';
import { candidateManifests, selectForBudget, timeCandidates } from '../../models/select';
import { type DetectGraspsResponse, type Header, PACKAGE_ROOT } from '../../msg';
import {
  markerArrayMessage,
  graspArrayMessage,
  heatmapMessages,
  instanceArrayMessage,
  labelImageMessage,
  poseArrayMessage,
} from '../../perception/messages';
import { renderOverlay } from '../../perception/overlay';
import { DEFAULT_GEOMETRIC_PARAMS } from '../../perception/geometric-grasps';
import {
  DEFAULT_GRASP_SOURCE,
  DEFAULT_GRASP_STAGE,
  GRASP_SOURCES,
  type GraspSource,
  type GraspStageParams,
  needsModel,
  perceiveFrame,
} from '../../perception/grasp-source';
import { type CameraGrasp, type PerceptionOutput, type PerceptionParams } from '../../perception/pipeline';
import { rotateVector, transformPose } from '../../geometry';
import { TfListener } from '../../tf';
import { Diagnostics } from '../diagnostics';
import { modelParameters, openNodeModel } from '../model-loader';
import { type RunningNode } from '../registry';
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
import { MAX_SERVICE_TIMEOUT_SEC, serviceTimeout } from '../service-timeout';
import { LatestFrameWorker } from './latest-frame';

/** The package's default model: what `model_file_path: ''` runs when no latency budget is set. */
export const DEFAULT_PERCEPTION_MODEL = 'models/fast_graspnext.json';

export const PERCEPTION_PARAMETERS = {
  ...modelParameters('', 1),
  model_file_path: param.string(
    '',
    `Model manifest (relative paths: to the package); '' = the package default (${DEFAULT_PERCEPTION_MODEL}), or the latency_budget_ms choice`,
    { readOnly: true },
  ),
  latency_budget_ms: param.double(
    0,
    "With model_file_path '': time the package's perception models here at start and run the most accurate whose p90 fits, ms; 0 = off",
    { range: { from: 0, to: 10000 }, readOnly: true },
  ),
  ...RGBD_INPUT_PARAMETERS,
  confidence_threshold: param.double(0.3, 'Instance score threshold', { range: { from: 0, to: 1 } }),
  nms_iou: param.double(0.7, 'Amodal boxes overlapping a better one by more are dropped', {
    range: { from: 0, to: 1 },
  }),
  max_instances: param.integer(50, 'Most instances per frame', { range: { from: 1, to: 500 } }),
  suction_threshold: param.double(0.5, 'Suction heatmap score a grasp needs', { range: { from: 0, to: 1 } }),
  suction_nms_radius: param.double(12, 'Grasps closer than this to a better one are dropped, pixels', {
    range: { from: 0, to: 1000 },
  }),
  max_grasps: param.integer(10, 'Most grasps per frame', { range: { from: 1, to: 1000 } }),
  grasp_source: param.string(
    DEFAULT_GRASP_SOURCE,
    "'network': the model's suction heatmap; 'geometric': the measured depth alone (no model is loaded); 'hybrid': network grasps verified and re-scored on the measured depth, geometric ones filling up",
    { choices: GRASP_SOURCES, readOnly: true },
  ),
  grasp_min_height: param.double(
    DEFAULT_GEOMETRIC_PARAMS.minHeight,
    'geometric/hybrid: height above the fitted support plane a grasp needs, metres',
    { range: { from: 0, to: 1 } },
  ),
  seal_disc_radius: param.double(
    DEFAULT_GEOMETRIC_PARAMS.discRadius,
    'geometric/hybrid: radius of the suction seal disc scored for planarity, approach and edges, metres',
    { range: { from: 0.002, to: 0.1 } },
  ),
  grasp_window: param.integer(4, 'Half-size of the depth window for repair and normals, pixels', {
    range: { from: 1, to: 50 },
  }),
  grasp_frame_id: param.string('', "Frame grasps are published in (via TF); '' = the camera's optical frame"),
  workspace_min: param.doubleArray(
    [],
    'Workspace box corner [x, y, z] in the grasp frame, metres; [] = no filter',
  ),
  workspace_max: param.doubleArray(
    [],
    'Opposite workspace box corner [x, y, z]; grasps outside the box are dropped',
  ),
  mode: param.string('continuous', "'continuous': every frame; 'triggered': only for ~/detect requests", {
    choices: ['continuous', 'triggered'],
    readOnly: true,
  }),
  detect_timeout: param.double(2.0, 'Default seconds ~/detect waits for a frame (request timeout 0)', {
    range: { from: 0.01, to: 600 },
  }),
  publish_overlay: param.bool(true, 'Publish ~/overlay (rgb8: masks, boxes, occluded objects, grasps)'),
  publish_markers: param.bool(true, 'Publish ~/markers (RViz arrows and spheres)'),
  diagnostics_period: param.double(1.0, 'Seconds between /diagnostics messages', {
    range: { from: 0.1, to: 10 },
  }),
};

type PerceptionValues = {
  confidence_threshold: number;
  nms_iou: number;
  max_instances: number;
  suction_threshold: number;
  suction_nms_radius: number;
  max_grasps: number;
  grasp_window: number;
  grasp_source: string;
  grasp_min_height: number;
  seal_disc_radius: number;
};

/** The pipeline parameters perception_node's parameter values give (`eval real` runs the same). */
export function perceptionParamsFrom(p: PerceptionValues): PerceptionParams {
  return {
    decoding: { score_threshold: p.confidence_threshold, nms_iou: p.nms_iou, max_instances: p.max_instances },
    grasps: {
      threshold: p.suction_threshold,
      nmsRadiusPx: p.suction_nms_radius,
      maxGrasps: p.max_grasps,
      windowRadiusPx: p.grasp_window,
    },
  };
}

/** The grasp stage perception_node's parameter values give. */
export function graspStageFrom(p: PerceptionValues): GraspStageParams {
  return {
    ...DEFAULT_GRASP_STAGE,
    source: p.grasp_source as GraspSource,
    geometric: { ...DEFAULT_GEOMETRIC_PARAMS, minHeight: p.grasp_min_height, discRadius: p.seal_disc_radius },
  };
}

/** perception_node's parameter defaults (what config/perception.yaml sets). */
export const PERCEPTION_DEFAULTS = Object.fromEntries(
  Object.entries(PERCEPTION_PARAMETERS).map(([k, s]) => [k, s.default]),
) as unknown as PerceptionValues;

/**
 * The manifest to run: model_file_path when given; else, with latency_budget_ms > 0, the most accurate of
 * the package's perception models whose p90 measured here fits (docs/nas.md#run-time-selection); else the default.
 */
async function chooseModel(
  node: BusNode,
  p: {
    model_file_path: string;
    latency_budget_ms: number;
    execution_providers: string[];
    intra_op_threads: number;
  },
): Promise<string> {
  if (p.model_file_path !== '') {
    if (p.latency_budget_ms > 0)
      node.logger.info(`latency_budget_ms ignored: model_file_path is ${p.model_file_path}`);
    return p.model_file_path;
  }
  if (p.latency_budget_ms <= 0) return DEFAULT_PERCEPTION_MODEL;
  const { files, skipped } = candidateManifests(path.join(PACKAGE_ROOT, 'models'));
  const candidates = await timeCandidates(files, {
    executionProviders: p.execution_providers,
    intraOpThreads: p.intra_op_threads,
    warmup: 10,
    runs: 50,
  });
  const s = selectForBudget(candidates, p.latency_budget_ms);
  if (!s.choice)
    throw new Error(
      `perception_node: latency_budget_ms: no perception model with accuracy metrics in models/`,
    );
  const line = `latency_budget_ms ${p.latency_budget_ms}: ${s.reason}${skipped.length ? ` (not candidates: ${skipped.join(', ')})` : ''}`;
  if (s.fits) node.logger.info(line);
  else node.logger.warn(line);
  return s.choice.file;
}

/**
 * perception_node: synchronised RGB-D in; suction grasps, instances with visible/amodal masks and
 * occlusion, label image and heatmaps out. Inference never queues behind itself: while a frame is in
 * the model, only the newest frame waits and older ones are dropped (counted on /diagnostics).
 */
export async function startPerception(bus: Bus, options: CreateNodeOptions): Promise<RunningNode> {
  const node = bus.createNode('perception_node', options);
  const p = node.declareParameters(PERCEPTION_PARAMETERS);
  checkRgbdInputParameters(node, p);
  // The geometric source runs on the measured depth alone: no model is loaded.
  const session = needsModel(p.grasp_source as GraspSource)
    ? await openNodeModel(node, { ...p, model_file_path: await chooseModel(node, p) }, 'perception')
    : null;
  const params = (): PerceptionParams => perceptionParamsFrom(p);
  const stage = (): GraspStageParams => graspStageFrom(p);
  if (p.workspace_min.length !== p.workspace_max.length || ![0, 3].includes(p.workspace_min.length)) {
    node.destroy();
    await session?.release();
    throw new Error('perception_node: workspace_min and workspace_max need 3 values each (or both [])');
  }
  const tf = p.grasp_frame_id ? new TfListener(node) : undefined;
  /** Grasps in the grasp frame and inside the workspace; camera frame (with a WARN) when TF fails. */
  const placeGrasps = (
    frame: RgbdFrame,
    grasps: CameraGrasp[],
  ): { header: Header; grasps: CameraGrasp[] } => {
    let header = frame.header;
    let placed = grasps;
    if (tf) {
      try {
        const t = tf.buffer.lookupTransform(p.grasp_frame_id, frame.header.frame_id, frame.header.stamp, 0.1);
        placed = grasps.map((g) => {
          const pose = transformPose(t.transform, { position: g.point, orientation: g.orientation });
          return {
            ...g,
            point: pose.position,
            orientation: pose.orientation,
            normal: rotateVector(t.transform.rotation, g.normal),
          };
        });
        header = { ...frame.header, frame_id: p.grasp_frame_id };
      } catch (err) {
        onFault({
          stream: 'sync',
          code: 'TF_UNAVAILABLE',
          message: `grasps stay in ${frame.header.frame_id}: ${(err as Error).message}`,
        });
        return { header, grasps };
      }
    }
    if (p.workspace_min.length === 3) {
      const [x0, y0, z0] = p.workspace_min;
      const [x1, y1, z1] = p.workspace_max;
      const inside = (v: number, a: number, b: number) => v >= Math.min(a, b) && v <= Math.max(a, b);
      placed = placed.filter(
        (g) => inside(g.point.x, x0, x1) && inside(g.point.y, y0, y1) && inside(g.point.z, z0, z1),
      );
    }
    return { header, grasps: placed };
  };
  const pubs = {
    grasps: node.createPublisher('grasp_perception/msg/SuctionGraspArray', '~/suction_grasps', QOS_DEFAULT),
    poses: node.createPublisher('geometry_msgs/msg/PoseArray', '~/suction_poses', QOS_DEFAULT),
    instances: node.createPublisher('grasp_perception/msg/ObjectInstanceArray', '~/instances', QOS_DEFAULT),
    labels: node.createPublisher('sensor_msgs/msg/Image', '~/instance_labels', QOS_DEFAULT),
    suction: node.createPublisher('sensor_msgs/msg/Image', '~/suction_heatmap', QOS_DEFAULT),
    com: node.createPublisher('sensor_msgs/msg/Image', '~/com_heatmap', QOS_DEFAULT),
    overlay: node.createPublisher('sensor_msgs/msg/Image', '~/overlay', QOS_DEFAULT),
    markers: node.createPublisher('visualization_msgs/msg/MarkerArray', '~/markers', QOS_DEFAULT),
  };
  /** ~/detect requests waiting for the next processed frame. */
  const waiting: ((r: DetectGraspsResponse) => void)[] = [];
  let skippedUntriggered = 0;
  const diagnostics = new Diagnostics(node, 'grasp_perception', p.diagnostics_period);
  const started = Date.now();
  let processed = 0;
  let faults = 0;
  let lastTimes: PerceptionOutput['times'] | undefined;
  let lastTotalMs = 0;

  const publish = (frame: RgbdFrame, out: PerceptionOutput): void => {
    const { header } = frame;
    const { width, height } = frame.camera;
    const placed = placeGrasps(frame, out.grasps);
    pubs.grasps.publish(graspArrayMessage(placed.grasps, placed.header));
    pubs.poses.publish(poseArrayMessage(placed.grasps, placed.header));
    pubs.instances.publish(instanceArrayMessage(out.instances, header, width, height));
    pubs.labels.publish(labelImageMessage(out.labels, width, height, header));
    const heat = heatmapMessages(out, header);
    pubs.suction.publish(heat.suction);
    pubs.com.publish(heat.com);
    if (p.publish_overlay) pubs.overlay.publish(renderOverlay(frame.color, out, frame.camera));
    if (p.publish_markers) pubs.markers.publish(markerArrayMessage(out, header));
    // ~/detect's answer, only when a request waits for this frame.
    if (waiting.length === 0) return;
    const response: DetectGraspsResponse = {
      success: true,
      message: `${out.instances.length} instances, ${out.grasps.length} grasps`,
      grasps: graspArrayMessage(placed.grasps, placed.header),
      instances: instanceArrayMessage(out.instances, header, width, height),
    };
    for (const resolve of waiting.splice(0)) resolve(response);
  };

  const worker = new LatestFrameWorker<RgbdFrame>(
    async (frame) => {
      const t0 = Date.now();
      const out = await perceiveFrame(
        session,
        { color: frame.color, depth: frame.depth, camera: frame.camera },
        params(),
        stage(),
        (line) => node.logger.warn(line),
      );
      publish(frame, out);
      processed++;
      lastTimes = out.times;
      lastTotalMs = Date.now() - t0;
      report(out);
    },
    (err) => {
      faults++;
      node.logger.throttle('error', 'inference', 5, `inference failed: ${err.message}`);
      diagnostics.report('model', {
        level: 'error',
        message: `inference failed: ${err.message}`,
        values: status(),
      });
    },
  );

  const status = () => ({
    model: session?.manifest.name ?? 'none (geometric grasps)',
    precision: session?.manifest.precision ?? '',
    'execution provider': session?.provider ?? '',
    'grasp source': p.grasp_source,
    'frames processed': processed,
    'frames dropped (model busy)': worker.dropped,
    'frames skipped (not triggered)': skippedUntriggered,
    mode: p.mode,
    'input faults': faults,
    'rate (Hz)': (processed / Math.max(1e-3, (Date.now() - started) / 1000)).toFixed(2),
    'latency (ms)': lastTotalMs.toFixed(1),
    ...Object.fromEntries(Object.entries(lastTimes ?? {}).map(([k, v]) => [k, v.toFixed(2)])),
    ...input.counters(),
  });
  const report = (out: PerceptionOutput): void => {
    diagnostics.report('model', {
      level: 'ok',
      message: `${out.instances.length} instances, ${out.grasps.length} grasps`,
      values: { ...status(), 'grasps skipped (no depth)': out.skippedNoDepth },
    });
  };
  const onFault = (fault: RgbdFault): void => {
    faults++;
    reportRgbdFault(node, diagnostics, fault, { 'input faults': faults, ...input.counters() });
  };
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
      if (p.mode === 'triggered' && waiting.length === 0) skippedUntriggered++;
      else worker.push(frame);
    },
    onFault,
  );
  node.createService('grasp_perception/srv/DetectGrasps', '~/detect', (req) => {
    const timeout = serviceTimeout(req.timeout, p.detect_timeout);
    const within = `${timeout.seconds} s${timeout.clamped ? ` (request ${req.timeout} s, clamped to ${MAX_SERVICE_TIMEOUT_SEC} s)` : ''}`;
    return new Promise<DetectGraspsResponse>((resolve) => {
      const timer = setTimeout(() => {
        const i = waiting.indexOf(done);
        if (i >= 0) waiting.splice(i, 1);
        resolve({
          success: false,
          message: `no synchronised RGB-D frame was processed within ${within} (check the camera topics and /diagnostics)`,
          grasps: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, grasps: [] },
          instances: { header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' }, instances: [] },
        });
      }, timeout.ms);
      const done = (r: DetectGraspsResponse): void => {
        clearTimeout(timer);
        resolve(r);
      };
      waiting.push(done);
    });
  });
  input.watchSync(node, p.diagnostics_period, onFault);
  diagnostics.report('model', {
    level: 'ok',
    message: session
      ? `${session.manifest.name} loaded on ${session.provider}; waiting for frames`
      : 'geometric grasps (no model); waiting for frames',
    values: status(),
  });

  return {
    node,
    diagnostics,
    idle: () => worker.drain(),
    stop: async () => {
      diagnostics.stop();
      input.destroy();
      tf?.destroy();
      await worker.drain();
      await session?.release();
      node.destroy();
    },
  };
}
