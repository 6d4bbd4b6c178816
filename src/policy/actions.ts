// Between heightmaps and Q maps: the R rotated, padded network inputs (VPG tests R push directions by
// rotating the input), Q maps brought back to the heightmap frame, and the best action in world terms.
// Convention: rotation r has angle θ = r·2π/R; the rotated frame's +x is the heightmap direction
// (cos θ, sin θ) in (column, row) = world (x, y), and a push goes along it.
import { type Heightmap, type HeightmapGrid } from './heightmap';

export interface PolicyInputSpec {
  /** Padded square input size S (≥ the heightmap's diagonal so no corner is cut when rotating). */
  size: number;
  rotations: number;
  /** Per channel (red, green, blue on the 0–1 scale; height in metres). */
  mean: readonly [number, number, number, number];
  std: readonly [number, number, number, number];
}

export const rotationAngle = (r: number, rotations: number): number => (2 * Math.PI * r) / rotations;

/** R x 4 x S x S float input: each rotation of the heightmap, nearest-sampled, zero (the mean) outside. */
export function rotatedInputs(hm: Heightmap, spec: PolicyInputSpec): Float32Array {
  const { size: s, rotations } = spec;
  const plane = s * s;
  const out = new Float32Array(rotations * 4 * plane);
  const c = (s - 1) / 2;
  const cx = (hm.width - 1) / 2;
  const cy = (hm.height - 1) / 2;
  for (let r = 0; r < rotations; r++) {
    const th = rotationAngle(r, rotations);
    const cos = Math.cos(th);
    const sin = Math.sin(th);
    const base = r * 4 * plane;
    for (let i = 0; i < s; i++) {
      for (let j = 0; j < s; j++) {
        const dx = j - c;
        const dy = i - c;
        const col = Math.round(cx + cos * dx - sin * dy);
        const row = Math.round(cy + sin * dx + cos * dy);
        if (col < 0 || col >= hm.width || row < 0 || row >= hm.height) continue;
        const k = row * hm.width + col;
        const p = i * s + j;
        for (let ch = 0; ch < 3; ch++) {
          out[base + ch * plane + p] = (hm.colors[3 * k + ch] / 255 - spec.mean[ch]) / spec.std[ch];
        }
        out[base + 3 * plane + p] = (hm.heights[k] - spec.mean[3]) / spec.std[3];
      }
    }
  }
  return out;
}

/** A rotated S x S Q map sampled back onto the heightmap's W x H grid (nearest). */
export function unrotateQ(
  q: Float32Array,
  size: number,
  angle: number,
  width: number,
  height: number,
): Float32Array {
  const out = new Float32Array(width * height);
  const c = (size - 1) / 2;
  const cx = (width - 1) / 2;
  const cy = (height - 1) / 2;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const ex = col - cx;
      const ey = row - cy;
      const j = Math.min(size - 1, Math.max(0, Math.round(c + cos * ex + sin * ey)));
      const i = Math.min(size - 1, Math.max(0, Math.round(c - sin * ex + cos * ey)));
      out[row * width + col] = q[i * size + j];
    }
  }
  return out;
}

export interface PolicyAction {
  primitive: 'push' | 'grasp';
  rotation: number;
  /** Push direction in the world xy plane (radians from +x); 0 for grasps. */
  angle: number;
  col: number;
  row: number;
  q: number;
  /** World position: the cell centre at the cell's height. */
  position: { x: number; y: number; z: number };
}

/** Greedy action over R push maps and one grasp map, all in the heightmap frame (W x H each). */
export function bestAction(
  pushQ: readonly Float32Array[],
  graspQ: Float32Array,
  hm: Heightmap,
  grid: HeightmapGrid,
): PolicyAction {
  let best = { primitive: 'grasp' as 'push' | 'grasp', rotation: 0, k: 0, q: -Infinity };
  for (let k = 0; k < graspQ.length; k++)
    if (graspQ[k] > best.q) best = { primitive: 'grasp', rotation: 0, k, q: graspQ[k] };
  pushQ.forEach((map, r) => {
    for (let k = 0; k < map.length; k++)
      if (map[k] > best.q) best = { primitive: 'push', rotation: r, k, q: map[k] };
  });
  const col = best.k % hm.width;
  const row = Math.floor(best.k / hm.width);
  return {
    primitive: best.primitive,
    rotation: best.rotation,
    angle: best.primitive === 'push' ? rotationAngle(best.rotation, pushQ.length) : 0,
    col,
    row,
    q: best.q,
    position: {
      x: grid.x[0] + (col + 0.5) * grid.resolution,
      y: grid.y[0] + (row + 0.5) * grid.resolution,
      z: grid.z[0] + hm.heights[best.k],
    },
  };
}
