// Q maps for viewing (the policy node's ~/q_maps and the demo report): side by side in the heightmap
// frame, the grasp map (rotation 0) and the best push over all rotations, each on its own colour scale;
// inadmissible cells dark, the chosen action marked with a white cross (and the push direction).
import { type PolicyAction, rotationIndex } from './actions';
import { type Heightmap } from './heightmap';
import { type PolicyDecision } from './policy';

/** Blue → cyan → yellow → red for t in 0–1. */
function heat(t: number): [number, number, number] {
  const c = Math.max(0, Math.min(1, t));
  const r = Math.round(255 * Math.max(0, Math.min(1, 2 * c - 0.5)));
  const g = Math.round(255 * Math.max(0, Math.min(1, c < 0.5 ? 2 * c : 2 - 2 * c + 0.5)));
  const b = Math.round(255 * Math.max(0, Math.min(1, 1 - 2 * c + 0.3)));
  return [r, g, b];
}

export interface RgbImage {
  width: number;
  height: number;
  /** Tight rgb8. */
  data: Uint8Array;
}

/**
 * Per heightmap cell: grasp Q (NaN where not admissible) and the best admissible push Q over rotations,
 * scattered back through the rotation table the inputs were gathered with.
 */
export function qMapsInHeightmap(d: PolicyDecision, hm: Heightmap, size: number, rotations: number) {
  const n = hm.width * hm.height;
  const grasp = new Float32Array(n).fill(NaN);
  const push = new Float32Array(n).fill(NaN);
  const plane = size * size;
  const idx = rotationIndex(hm.width, hm.height, size, rotations);
  for (let p = 0; p < plane; p++) {
    const k = idx[p];
    if (k >= 0 && d.masks.grasp[p]) grasp[k] = d.graspQ[p];
  }
  for (let t = 0; t < rotations * plane; t++) {
    const k = idx[t];
    if (k >= 0 && d.masks.push[t] && !(push[k] >= d.pushQ[t])) push[k] = d.pushQ[t];
  }
  return { grasp, push };
}

function paint(
  out: Uint8Array,
  stride: number,
  x0: number,
  values: Float32Array,
  hm: Heightmap,
  scale: number,
): void {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const span = hi > lo ? hi - lo : 1;
  for (let row = 0; row < hm.height; row++) {
    for (let col = 0; col < hm.width; col++) {
      const k = row * hm.width + col;
      const v = values[k];
      // Inadmissible: a dim grey heightmap so the scene stays readable.
      const g = Math.round(40 + Math.min(1, hm.heights[k] / 0.1) * 60);
      const c: [number, number, number] = Number.isNaN(v) ? [g, g, g] : heat((v - lo) / span);
      for (let dy = 0; dy < scale; dy++) {
        for (let dx = 0; dx < scale; dx++) {
          const p = ((row * scale + dy) * stride + x0 + col * scale + dx) * 3;
          out[p] = c[0];
          out[p + 1] = c[1];
          out[p + 2] = c[2];
        }
      }
    }
  }
}

function mark(
  out: Uint8Array,
  stride: number,
  height: number,
  x: number,
  y: number,
  dir: number | null,
): void {
  const set = (px: number, py: number) => {
    const xi = Math.round(px);
    const yi = Math.round(py);
    if (xi < 0 || xi >= stride || yi < 0 || yi >= height) return;
    out.fill(255, (yi * stride + xi) * 3, (yi * stride + xi) * 3 + 3);
  };
  for (let t = -5; t <= 5; t++) {
    set(x + t, y);
    set(x, y + t);
  }
  if (dir !== null) for (let t = 0; t <= 18; t++) set(x + Math.cos(dir) * t, y + Math.sin(dir) * t);
}

/** [grasp Q | best push Q] at `scale` pixels per cell, action marked; rows run along +y (world). */
export function renderQMaps(
  d: PolicyDecision,
  hm: Heightmap,
  size: number,
  rotations: number,
  scale = 4,
): RgbImage {
  const { grasp, push } = qMapsInHeightmap(d, hm, size, rotations);
  const w = hm.width * scale;
  const width = 2 * w + scale;
  const height = hm.height * scale;
  const data = new Uint8Array(width * height * 3);
  paint(data, width, 0, grasp, hm, scale);
  paint(data, width, w + scale, push, hm, scale);
  const a: PolicyAction | null = d.action;
  if (a) {
    const x0 = a.primitive === 'grasp' ? 0 : w + scale;
    mark(
      data,
      width,
      height,
      x0 + (a.col + 0.5) * scale,
      (a.row + 0.5) * scale,
      a.primitive === 'push' ? a.angle : null,
    );
  }
  return { width, height, data };
}
