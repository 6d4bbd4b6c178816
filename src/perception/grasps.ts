// Suction grasps from the suction heatmap: peaks -> 3-D contact from depth -> surface normal -> pose.
// Pure: plain arrays in, plain objects out (the node turns them into SuctionGrasp messages).
import { backProject, type CameraModel } from '../image';
import {
  fitPlane,
  orientTowards,
  quaternionFromZAxis,
  type Quat,
  scaleVector,
  type Vec3,
  vec3,
} from '../geometry';

export interface GraspParams {
  /** Heatmap score a peak needs. */
  threshold: number;
  /** Peaks closer than this (camera pixels) to a better one are dropped. */
  nmsRadiusPx: number;
  maxGrasps: number;
  /** Half-size (camera pixels) of the window used for invalid-depth repair and the plane fit. */
  windowRadiusPx: number;
}

export const DEFAULT_GRASP_PARAMS: GraspParams = {
  threshold: 0.5,
  nmsRadiusPx: 12,
  maxGrasps: 10,
  windowRadiusPx: 4,
};

export interface SuctionGraspCandidate {
  /** Camera pixel of the contact (OpenCV convention). */
  u: number;
  v: number;
  score: number;
  /** Contact point in the camera's optical frame, metres. */
  point: Vec3;
  /** Surface normal, towards the camera. */
  normal: Vec3;
  /** z axis = approach direction, into the surface (−normal). */
  orientation: Quat;
  /** Whether the contact depth was missing and repaired from valid neighbours (their median). */
  depthRepaired: boolean;
  /** RMS distance of the window's points from the fitted plane, metres. */
  planeRms: number;
}

export interface Heatmap {
  width: number;
  height: number;
  data: Float32Array;
}

/** Median of the valid (> 0, finite) depths within `r` pixels of (u, v); NaN when there are none. */
export function medianValidDepth(
  depth: Float32Array,
  width: number,
  height: number,
  u: number,
  v: number,
  r: number,
): number {
  const values: number[] = [];
  for (let y = Math.max(0, v - r); y <= Math.min(height - 1, v + r); y++) {
    for (let x = Math.max(0, u - r); x <= Math.min(width - 1, u + r); x++) {
      const d = depth[y * width + x];
      if (d > 0) values.push(d);
    }
  }
  if (values.length === 0) return NaN;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

/**
 * Greedy peak picking on the heatmap (any resolution), mapped to camera pixels, then a 3-D pose per
 * peak from the camera-resolution depth (metres, NaN/0 = invalid). Peaks without any valid depth
 * nearby are skipped and counted.
 */
export function suctionGrasps(
  heat: Heatmap,
  depth: Float32Array,
  camera: CameraModel,
  params: GraspParams = DEFAULT_GRASP_PARAMS,
): { grasps: SuctionGraspCandidate[]; skippedNoDepth: number } {
  const { width: hw, height: hh, data } = heat;
  const sx = camera.width / hw;
  const sy = camera.height / hh;
  const peaks: { x: number; y: number; score: number }[] = [];
  for (let y = 0; y < hh; y++) {
    for (let x = 0; x < hw; x++) {
      const s = data[y * hw + x];
      if (s < params.threshold) continue;
      let isMax = true;
      for (let dy = -1; dy <= 1 && isMax; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if ((dx || dy) && yy >= 0 && yy < hh && xx >= 0 && xx < hw && data[yy * hw + xx] > s) {
            isMax = false;
            break;
          }
        }
      }
      if (isMax) peaks.push({ x, y, score: s });
    }
  }
  peaks.sort((a, b) => b.score - a.score);
  const grasps: SuctionGraspCandidate[] = [];
  let skippedNoDepth = 0;
  const r2 = params.nmsRadiusPx * params.nmsRadiusPx;
  const { width: cw, height: ch } = camera;
  const w = params.windowRadiusPx;
  for (const p of peaks) {
    if (grasps.length >= params.maxGrasps) break;
    const u = (p.x + 0.5) * sx - 0.5;
    const v = (p.y + 0.5) * sy - 0.5;
    if (grasps.some((g) => (g.u - u) ** 2 + (g.v - v) ** 2 < r2)) continue;
    const ui = Math.min(cw - 1, Math.max(0, Math.round(u)));
    const vi = Math.min(ch - 1, Math.max(0, Math.round(v)));
    let z = depth[vi * cw + ui];
    const depthRepaired = !(z > 0);
    if (depthRepaired) z = medianValidDepth(depth, cw, ch, ui, vi, w);
    if (!(z > 0)) {
      skippedNoDepth++;
      continue;
    }
    const point = backProject(camera, ui, vi, z);
    const window: Vec3[] = [];
    for (let y = Math.max(0, vi - w); y <= Math.min(ch - 1, vi + w); y++) {
      for (let x = Math.max(0, ui - w); x <= Math.min(cw - 1, ui + w); x++) {
        const d = depth[y * cw + x];
        // Points off the contact's surface (an edge, the object below) would tilt the plane.
        if (d > 0 && Math.abs(d - z) < 0.02) window.push(backProject(camera, x, y, d));
      }
    }
    const plane = fitPlane(window);
    const normal = plane ? orientTowards(plane.normal, point) : vec3(0, 0, -1);
    grasps.push({
      u: ui,
      v: vi,
      score: p.score,
      point: vec3(point.x, point.y, point.z),
      normal,
      orientation: quaternionFromZAxis(scaleVector(normal, -1)),
      depthRepaired,
      planeRms: plane?.rms ?? 0,
    });
  }
  return { grasps, skippedNoDepth };
}
