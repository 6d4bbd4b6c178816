// The perception pipeline on one synchronised RGB-D frame: preprocess -> infer -> decode -> camera-
// resolution results (instances, centres of mass in 3-D, grasps, heatmaps, label image), with the time
// each stage took. The node wraps it; `grasp-perception infer` and the benchmark call it directly.
import { backProject, type CameraModel } from '../image';
import { type Image } from '../msg';
import { type DecodingParams } from '../models/manifest';
import { type ModelSession } from '../models/session';
import { type Box, decodePerception, type PerceptionResult } from './decode';
import {
  DEFAULT_GRASP_PARAMS,
  type GraspParams,
  type Heatmap,
  medianValidDepth,
  suctionGrasps,
  type SuctionGraspCandidate,
} from './grasps';
import { modelInput } from './preprocess';

export interface PerceptionParams {
  decoding: Partial<DecodingParams>;
  grasps: GraspParams;
}

export const DEFAULT_PERCEPTION_PARAMS: PerceptionParams = { decoding: {}, grasps: DEFAULT_GRASP_PARAMS };

export interface PerceptionFrame {
  color: Image;
  depth: { width: number; height: number; metres: Float32Array };
  camera: CameraModel;
}

export interface CameraInstance {
  /** Index in this frame's instance list; label image value = id + 1. */
  id: number;
  score: number;
  /** Amodal box in camera pixels. */
  box: Box;
  /** Tight box of the visible mask in camera pixels (empty when nothing is visible). */
  visibleBox: Box;
  /** Camera-resolution masks cropped to the amodal box (row-major, 0/1). */
  visibleMask: Uint8Array;
  amodalMask: Uint8Array;
  crop: { x: number; y: number; width: number; height: number };
  occluded: boolean;
  occlusionScore: number;
  /** 1 − visible area / amodal area. */
  occlusionRatio: number;
  /** Centre of mass (pixel and optical-frame metres) when a CoM peak falls on the instance. */
  centreOfMass?: { u: number; v: number; point: { x: number; y: number; z: number }; score: number };
}

export interface CameraGrasp extends SuctionGraspCandidate {
  instanceId: number;
}

export interface StageTimes {
  preprocess_ms: number;
  inference_ms: number;
  decode_ms: number;
  grasps_ms: number;
}

export interface PerceptionOutput {
  instances: CameraInstance[];
  grasps: CameraGrasp[];
  skippedNoDepth: number;
  /** Camera-resolution suction and CoM heatmaps. */
  suction: Heatmap;
  com: Heatmap;
  /** Camera-resolution instance labels (0 = none, else instance id + 1). */
  labels: Uint16Array;
  model: PerceptionResult;
  times: StageTimes;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Bilinear resize of a heatmap (half-pixel centres); column taps are computed once per call. */
export function resizeHeatmap(src: Heatmap, width: number, height: number): Heatmap {
  if (src.width === width && src.height === height) return src;
  const out = new Float32Array(width * height);
  const sw = src.width;
  const sx = sw / width;
  const sy = src.height / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const txs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const fx = Math.min(sw - 1, Math.max(0, (x + 0.5) * sx - 0.5));
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(sw - 1, x0s[x] + 1);
    txs[x] = fx - x0s[x];
  }
  const d = src.data;
  for (let y = 0; y < height; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const r0 = Math.floor(fy) * sw;
    const r1 = Math.min(src.height - 1, Math.floor(fy) + 1) * sw;
    const ty = fy - Math.floor(fy);
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const tx = txs[x];
      const a = d[r0 + x0s[x]] + (d[r0 + x1s[x]] - d[r0 + x0s[x]]) * tx;
      const b = d[r1 + x0s[x]] + (d[r1 + x1s[x]] - d[r1 + x0s[x]]) * tx;
      out[row + x] = a + (b - a) * ty;
    }
  }
  return { width, height, data: out };
}

const scaleBox = (b: Box, sx: number, sy: number): Box => ({
  x0: b.x0 * sx,
  y0: b.y0 * sy,
  x1: b.x1 * sx,
  y1: b.y1 * sy,
});

/** Model-resolution results -> camera resolution: boxes scaled, masks resampled (nearest), labels painted. */
export function toCamera(
  result: PerceptionResult,
  frame: PerceptionFrame,
): { instances: CameraInstance[]; labels: Uint16Array } {
  const { width: cw, height: ch } = frame.camera;
  const sx = cw / result.width;
  const sy = ch / result.height;
  const labels = new Uint16Array(cw * ch);
  const instances: CameraInstance[] = result.instances.map((d, id) => {
    const box = scaleBox(d.box, sx, sy);
    const x = Math.max(0, Math.floor(box.x0));
    const y = Math.max(0, Math.floor(box.y0));
    const width = Math.max(0, Math.min(cw, Math.ceil(box.x1)) - x);
    const height = Math.max(0, Math.min(ch, Math.ceil(box.y1)) - y);
    const visibleMask = new Uint8Array(width * height);
    const amodalMask = new Uint8Array(width * height);
    let vis = 0;
    let amo = 0;
    let vx0 = Infinity;
    let vy0 = Infinity;
    let vx1 = -Infinity;
    let vy1 = -Infinity;
    for (let j = 0; j < height; j++) {
      const my = Math.min(result.height - 1, Math.floor((y + j + 0.5) / sy));
      for (let i = 0; i < width; i++) {
        const mx = Math.min(result.width - 1, Math.floor((x + i + 0.5) / sx));
        const k = my * result.width + mx;
        if (d.amodalMask.data[k]) {
          amodalMask[j * width + i] = 1;
          amo++;
        }
        if (d.visibleMask.data[k]) {
          visibleMask[j * width + i] = 1;
          vis++;
          vx0 = Math.min(vx0, x + i);
          vy0 = Math.min(vy0, y + j);
          vx1 = Math.max(vx1, x + i + 1);
          vy1 = Math.max(vy1, y + j + 1);
        }
      }
    }
    return {
      id,
      score: d.score,
      box,
      visibleBox: vis > 0 ? { x0: vx0, y0: vy0, x1: vx1, y1: vy1 } : { x0: 0, y0: 0, x1: 0, y1: 0 },
      visibleMask,
      amodalMask,
      crop: { x, y, width, height },
      occluded: d.occluded,
      occlusionScore: d.occlusionScore,
      occlusionRatio: amo > 0 ? Math.max(0, 1 - vis / amo) : 0,
    };
  });
  // Paint worst first, so the best-scored instance owns contested pixels.
  for (const inst of [...instances].reverse()) {
    const { x, y, width, height } = inst.crop;
    for (let j = 0; j < height; j++) {
      for (let i = 0; i < width; i++)
        if (inst.visibleMask[j * width + i]) labels[(y + j) * cw + x + i] = inst.id + 1;
    }
  }
  // Centres of mass: the best CoM peak that lands on an instance's visible pixels.
  for (const c of result.centresOfMass) {
    const u = (c.u + 0.5) * sx - 0.5;
    const v = (c.v + 0.5) * sy - 0.5;
    const ui = Math.min(cw - 1, Math.max(0, Math.round(u)));
    const vi = Math.min(ch - 1, Math.max(0, Math.round(v)));
    const label = labels[vi * cw + ui];
    if (label === 0 || instances[label - 1].centreOfMass) continue;
    const z = medianValidDepth(frame.depth.metres, cw, ch, ui, vi, 3);
    if (!(z > 0)) continue;
    instances[label - 1].centreOfMass = { u, v, point: backProject(frame.camera, u, v, z), score: c.score };
  }
  return { instances, labels };
}

/** Runs the whole pipeline on one frame. */
export async function perceive(
  session: ModelSession,
  frame: PerceptionFrame,
  params: PerceptionParams = DEFAULT_PERCEPTION_PARAMS,
): Promise<PerceptionOutput> {
  const m = session.manifest;
  const t0 = now();
  const input = modelInput(m, { color: frame.color, depth: frame.depth });
  const t1 = now();
  const out = await session.run(input);
  const t2 = now();
  const model = decodePerception(m, out, params.decoding);
  const { instances, labels } = toCamera(model, frame);
  const { width: cw, height: ch } = frame.camera;
  const suction = resizeHeatmap({ width: model.width, height: model.height, data: model.suction }, cw, ch);
  const com = resizeHeatmap(model.comHeatmap, cw, ch);
  const t3 = now();
  const found = suctionGrasps(
    { width: model.width, height: model.height, data: model.suction },
    frame.depth.metres,
    frame.camera,
    params.grasps,
  );
  const grasps = found.grasps.map((g) => ({ ...g, instanceId: labels[g.v * cw + g.u] - 1 }));
  const t4 = now();
  return {
    instances,
    grasps,
    skippedNoDepth: found.skippedNoDepth,
    suction,
    com,
    labels,
    model,
    times: { preprocess_ms: t1 - t0, inference_ms: t2 - t1, decode_ms: t3 - t2, grasps_ms: t4 - t3 },
  };
}
