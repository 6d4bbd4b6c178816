// The perception pipeline on one synchronised RGB-D frame: preprocess -> infer -> decode -> camera-
// resolution results (instances, centres of mass in 3-D, grasps, heatmaps, label image), with the time
// each stage took. The node wraps it; `grasp-perception infer` and the benchmark call it directly.
import { backProject, type CameraModel } from '../image';
import { type Image } from '../msg';
import { type DecodingParams, type ModelManifest } from '../models/manifest';
import { type ModelSession } from '../models/session';
import { columnTaps, rowInterpolator } from './bilinear-rows';
import { type Box, decodePerception, maskSources, type PerceptionResult, sampleMask } from './decode';
import {
  DEFAULT_GRASP_PARAMS,
  type GraspParams,
  type Heatmap,
  medianValidDepth,
  suctionGrasps,
  type SuctionGraspCandidate,
} from './grasps';
import { aspectWarning, encodeInput, type InputTransform, networkToCamera } from './preprocess';

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
  /** Pixels set in visibleMask and amodalMask. */
  visibleArea: number;
  amodalArea: number;
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
  /** Camera pixels <-> network pixels, as the input contract mapped this frame. */
  transform: InputTransform;
  times: StageTimes;
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/** Bilinear resize of a heatmap (half-pixel centres); column taps are computed once per call. */
export function resizeHeatmap(src: Heatmap, width: number, height: number): Heatmap {
  if (src.width === width && src.height === height) return src;
  return sampleHeatmap(src, {
    width,
    height,
    scaleX: src.width / width,
    scaleY: src.height / height,
    padX: 0,
    padY: 0,
  });
}

/**
 * A heatmap sampled bilinearly at each output pixel's centre, mapped to heatmap coordinates by
 * x = padX + (u + 0.5) · scaleX (in heatmap cells); edges clamp.
 */
function sampleHeatmap(
  src: Heatmap,
  o: { width: number; height: number; scaleX: number; scaleY: number; padX: number; padY: number },
): Heatmap {
  const { width, height } = o;
  const out = new Float32Array(width * height);
  // Separable (./bilinear-rows): each source row interpolated along x once, each output row one lerp.
  const taps = columnTaps(width, (x) => o.padX + (x + 0.5) * o.scaleX - 0.5, 0, src.width - 1);
  const { rows, rowAt } = rowInterpolator(src.data, src.width, taps);
  for (let y = 0; y < height; y++) {
    const fy = Math.min(src.height - 1, Math.max(0, o.padY + (y + 0.5) * o.scaleY - 0.5));
    const k0 = Math.floor(fy);
    const r0 = rowAt(k0);
    const r1 = rowAt(Math.min(src.height - 1, k0 + 1));
    const ty = fy - k0;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const a = rows[r0 + x];
      out[row + x] = a + (rows[r1 + x] - a) * ty;
    }
  }
  return { width, height, data: out };
}

/** A network-frame heatmap at `stride` network pixels per cell, sampled at camera resolution. */
export function heatmapToCamera(src: Heatmap, t: InputTransform, stride = 1): Heatmap {
  if (
    stride === 1 &&
    t.padX === 0 &&
    t.padY === 0 &&
    src.width === t.cameraWidth &&
    src.height === t.cameraHeight
  )
    return src;
  return sampleHeatmap(src, {
    width: t.cameraWidth,
    height: t.cameraHeight,
    scaleX: t.scaleX / stride,
    scaleY: t.scaleY / stride,
    padX: t.padX / stride,
    padY: t.padY / stride,
  });
}

/** The content (camera) region of a network-resolution heatmap: what grasp peaks are searched in. */
export function contentHeatmap(src: Heatmap, t: InputTransform): Heatmap {
  if (t.padX === 0 && t.padY === 0 && t.contentWidth === src.width && t.contentHeight === src.height)
    return src;
  const data = new Float32Array(t.contentWidth * t.contentHeight);
  for (let y = 0; y < t.contentHeight; y++) {
    const from = (t.padY + y) * src.width + t.padX;
    data.set(src.data.subarray(from, from + t.contentWidth), y * t.contentWidth);
  }
  return { width: t.contentWidth, height: t.contentHeight, data };
}

/** A network-pixel box (continuous) in camera pixels. */
export function boxToCamera(b: Box, t: InputTransform): Box {
  return {
    x0: Math.max(0, (b.x0 - t.padX) / t.scaleX),
    y0: Math.max(0, (b.y0 - t.padY) / t.scaleY),
    x1: Math.min(t.cameraWidth, (b.x1 - t.padX) / t.scaleX),
    y1: Math.min(t.cameraHeight, (b.y1 - t.padY) / t.scaleY),
  };
}

/**
 * Network-resolution results -> camera resolution: boxes and points through the input transform, masks
 * sampled from the prototype logits at every camera pixel of the box (bilinear, then thresholded),
 * labels painted. `outputs` are the model's raw outputs the result was decoded from.
 */
export function toCamera(
  result: PerceptionResult,
  frame: Pick<PerceptionFrame, 'camera' | 'depth'>,
  m: ModelManifest,
  outputs: Readonly<Record<string, Float32Array>>,
  transform: InputTransform,
  maskThreshold: number,
): { instances: CameraInstance[]; labels: Uint16Array } {
  const { width: cw, height: ch } = frame.camera;
  const labels = new Uint16Array(cw * ch);
  const instances: CameraInstance[] = result.instances.map((d, id) => {
    const box = boxToCamera(d.box, transform);
    const x = Math.max(0, Math.floor(box.x0));
    const y = Math.max(0, Math.floor(box.y0));
    const width = Math.max(0, Math.min(cw, Math.ceil(box.x1)) - x);
    const height = Math.max(0, Math.min(ch, Math.ceil(box.y1)) - y);
    const view = { ...transform, x0: x, y0: y, width, height };
    const src = maskSources(m, outputs, d.cell);
    const amodal = sampleMask(src.amodal, view, maskThreshold);
    const visible = sampleMask(src.visible, view, maskThreshold);
    let vx0 = Infinity;
    let vy0 = Infinity;
    let vx1 = -Infinity;
    let vy1 = -Infinity;
    if (visible.area > 0) {
      // Per row: its first set pixel from the left and its last from the right.
      const m = visible.data;
      for (let j = 0; j < height; j++) {
        const row = j * width;
        let first = 0;
        while (first < width && !m[row + first]) first++;
        if (first === width) continue;
        let last = width - 1;
        while (!m[row + last]) last--;
        vx0 = Math.min(vx0, x + first);
        vx1 = Math.max(vx1, x + last + 1);
        vy0 = Math.min(vy0, y + j);
        vy1 = y + j + 1;
      }
    }
    return {
      id,
      score: d.score,
      box,
      visibleBox: visible.area > 0 ? { x0: vx0, y0: vy0, x1: vx1, y1: vy1 } : { x0: 0, y0: 0, x1: 0, y1: 0 },
      visibleMask: visible.data,
      amodalMask: amodal.data,
      crop: { x, y, width, height },
      occluded: d.occluded,
      occlusionScore: d.occlusionScore,
      occlusionRatio: amodal.area > 0 ? Math.max(0, 1 - visible.area / amodal.area) : 0,
      visibleArea: visible.area,
      amodalArea: amodal.area,
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
    const { u, v } = networkToCamera(transform, c.u, c.v);
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

/** Camera-resolution suction and CoM heatmaps of a decoded result. */
export function cameraHeatmaps(
  result: PerceptionResult,
  t: InputTransform,
  stride: number,
): { suction: Heatmap; com: Heatmap } {
  return {
    suction: heatmapToCamera({ width: result.width, height: result.height, data: result.suction }, t),
    com: heatmapToCamera(result.comHeatmap, t, stride),
  };
}

/** Aspect warnings already given, per model and camera size: each is logged once per process. */
const warned = new Set<string>();

/** The aspect WARN for this model and camera, the first time only (null after that, or when it fits). */
export function aspectWarningOnce(m: ModelManifest, width: number, height: number): string | null {
  const key = `${m.name}\u0000${m.sha256}\u0000${width}x${height}`;
  if (warned.has(key)) return null;
  const w = aspectWarning(m, width, height);
  if (w) warned.add(key);
  return w;
}

/** Runs the whole pipeline on one frame. */
export async function perceive(
  session: ModelSession,
  frame: PerceptionFrame,
  params: PerceptionParams = DEFAULT_PERCEPTION_PARAMS,
  onWarning: (line: string) => void = (line) => process.emitWarning(line),
): Promise<PerceptionOutput> {
  const m = session.manifest;
  const t0 = now();
  const warning = aspectWarningOnce(m, frame.camera.width, frame.camera.height);
  if (warning) onWarning(warning);
  const { input, transform } = encodeInput(m, {
    color: frame.color,
    depth: frame.depth,
    intrinsics: frame.camera,
  });
  const t1 = now();
  const out = await session.run(input);
  const t2 = now();
  const model = decodePerception(m, out, params.decoding, { masks: false });
  const threshold = params.decoding.mask_threshold ?? m.decoding!.mask_threshold;
  const { instances, labels } = toCamera(model, frame, m, out, transform, threshold);
  const { width: cw } = frame.camera;
  const { suction, com } = cameraHeatmaps(model, transform, m.decoding!.stride);
  const t3 = now();
  // Peaks on the network-resolution map's content region, mapped to camera pixels by its scale.
  const found = suctionGrasps(
    contentHeatmap({ width: model.width, height: model.height, data: model.suction }, transform),
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
    transform,
    times: { preprocess_ms: t1 - t0, inference_ms: t2 - t1, decode_ms: t3 - t2, grasps_ms: t4 - t3 },
  };
}
