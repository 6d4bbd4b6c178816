// Where a frame's suction grasps come from: the network's heatmap, the measured depth alone
// (geometric: no model needed), or the network's candidates verified and re-scored on the measured
// depth with geometric candidates filling up (hybrid). One entry point for the node, `infer` and
// `eval real`, so they all run the same path. docs/grasping.md.
import { type ModelSession } from '../models/session';
import {
  analyseDepth,
  DEFAULT_GEOMETRIC_PARAMS,
  type GeometricGraspParams,
  graspOf,
  hybridGrasps,
  sealGrid,
  suppressBySurface,
} from './geometric-grasps';
import {
  DEFAULT_PERCEPTION_PARAMS,
  perceive,
  type PerceptionFrame,
  type PerceptionOutput,
  type PerceptionParams,
} from './pipeline';

export const GRASP_SOURCES = ['network', 'geometric', 'hybrid'] as const;
export type GraspSource = (typeof GRASP_SOURCES)[number];

/**
 * The default grasp source: the best on simulator design scenes of the shipped cells that no model was
 * trained on (docs/grasping.md, scripts/grasp-source-design.sh): with the contract-v2 model, the network's
 * own grasps (it was hybrid with the v1 model, whose grasps did not transfer off its training cell).
 */
export const DEFAULT_GRASP_SOURCE: GraspSource = 'network';

export interface GraspStageParams {
  source: GraspSource;
  geometric: GeometricGraspParams;
  /**
   * Hybrid: the network's heatmap peaks it considers (score at least this, at most `networkMax`),
   * before the measured depth verifies them; lower than the network source's own threshold, since
   * the seal score re-ranks them.
   */
  networkThreshold: number;
  networkMax: number;
}

export const DEFAULT_GRASP_STAGE: GraspStageParams = {
  source: DEFAULT_GRASP_SOURCE,
  geometric: DEFAULT_GEOMETRIC_PARAMS,
  networkThreshold: 0.2,
  networkMax: 50,
};

/** Whether a source runs the network (geometric does not: no model is loaded). */
export const needsModel = (source: GraspSource): boolean => source !== 'geometric';

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** A camera-resolution heatmap of the seal scores at the candidate grid (for ~/suction_heatmap). */
function sealHeatmap(
  width: number,
  height: number,
  cands: { u: number; v: number; score: number }[],
  stride: number,
) {
  const data = new Float32Array(width * height);
  const r = Math.max(0, Math.floor(stride / 2));
  for (const c of cands) {
    for (let v = Math.max(0, c.v - r); v <= Math.min(height - 1, c.v + r); v++) {
      for (let u = Math.max(0, c.u - r); u <= Math.min(width - 1, c.u + r); u++)
        data[v * width + u] = c.score;
    }
  }
  return { width, height, data };
}

/**
 * The perception pipeline on one frame with the chosen grasp source. `session` may be null only for
 * the geometric source: then instances are empty, the suction heatmap holds the seal scores and
 * the CoM heatmap is zero.
 */
export async function perceiveFrame(
  session: ModelSession | null,
  frame: PerceptionFrame,
  params: PerceptionParams = DEFAULT_PERCEPTION_PARAMS,
  stage: GraspStageParams = DEFAULT_GRASP_STAGE,
  onWarning?: (line: string) => void,
): Promise<PerceptionOutput> {
  const { width, height } = frame.camera;
  const depth = frame.depth.metres;
  const nms = { nmsRadiusPx: params.grasps.nmsRadiusPx, maxGrasps: params.grasps.maxGrasps };
  if (stage.source === 'geometric') {
    const t0 = now();
    const analysis = analyseDepth(depth, frame.camera, stage.geometric);
    const all = sealGrid(depth, frame.camera, analysis, stage.geometric);
    const grasps = suppressBySurface(all, analysis, nms.nmsRadiusPx, nms.maxGrasps).map((g) => ({
      ...graspOf(g),
      instanceId: -1,
    }));
    const t1 = now();
    const suction = sealHeatmap(width, height, all, stage.geometric.stridePx);
    const com = { width, height, data: new Float32Array(width * height) };
    return {
      instances: [],
      grasps,
      skippedNoDepth: 0,
      suction,
      com,
      labels: new Uint16Array(width * height),
      model: { width, height, instances: [], centresOfMass: [], suction: suction.data, comHeatmap: com },
      transform: {
        cameraWidth: width,
        cameraHeight: height,
        width,
        height,
        scaleX: 1,
        scaleY: 1,
        padX: 0,
        padY: 0,
        contentWidth: width,
        contentHeight: height,
      },
      times: { preprocess_ms: 0, inference_ms: 0, decode_ms: 0, grasps_ms: t1 - t0 },
    };
  }
  if (!session) throw new Error(`the ${stage.source} grasp source needs a perception model`);
  if (stage.source === 'network') return perceive(session, frame, params, onWarning);
  const out = await perceive(
    session,
    frame,
    {
      ...params,
      grasps: { ...params.grasps, threshold: stage.networkThreshold, maxGrasps: stage.networkMax },
    },
    onWarning,
  );
  const t0 = now();
  const analysis = analyseDepth(depth, frame.camera, stage.geometric);
  const found = hybridGrasps(out.grasps, depth, frame.camera, nms, stage.geometric, analysis);
  const grasps = found.grasps.map((g) => ({ ...g, instanceId: out.labels[g.v * width + g.u] - 1 }));
  return { ...out, grasps, times: { ...out.times, grasps_ms: out.times.grasps_ms + now() - t0 } };
}
