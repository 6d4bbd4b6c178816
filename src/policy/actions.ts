// Between heightmaps and Q maps: the R rotated, padded network inputs (VPG tests R push directions by
// rotating the input), which rotated pixels are admissible actions, the greedy action, and its world
// pose. Training (through `sim serve`) and the policy node both call these: one implementation.
// Convention: rotation r has angle θ = r·2π/R; the rotated frame's +x (+j) is the heightmap direction
// (cos θ, sin θ) in (column, row) = world (x, y), and a push goes along it. Grasps (suction, symmetric
// about the approach) are read from rotation 0 only.
import { type Heightmap, type HeightmapGrid } from './heightmap';

export type PolicyChannel = 'red' | 'green' | 'blue' | 'height' | 'suction';

export interface PolicyInputSpec {
  /** Padded square input size S (≥ the heightmap's diagonal so no corner is cut when rotating). */
  size: number;
  rotations: number;
  /** Input channels in order; red/green/blue on the 0–1 scale, height in metres, suction 0–1. */
  channels: readonly PolicyChannel[];
  mean: readonly number[];
  std: readonly number[];
}

/** Where actions may go (written into the model manifest by training; the node reads the same). */
export interface PolicyActionSpec {
  grid: HeightmapGrid;
  /** Push length, metres (VPG: 0.1). */
  pushLength: number;
  /** A cell this high above the floor holds an object: grasp targets, push obstacles (metres). */
  objectHeight: number;
}

export const rotationAngle = (r: number, rotations: number): number => (2 * Math.PI * r) / rotations;

function channelReader(hm: Heightmap, ch: PolicyChannel): (k: number) => number {
  switch (ch) {
    case 'red':
      return (k) => hm.colors[3 * k] / 255;
    case 'green':
      return (k) => hm.colors[3 * k + 1] / 255;
    case 'blue':
      return (k) => hm.colors[3 * k + 2] / 255;
    case 'height':
      return (k) => hm.heights[k];
    case 'suction': {
      const s = hm.suction;
      if (!s)
        throw new Error("the policy needs a 'suction' channel but the heightmap has no suction heatmap");
      return (k) => s[k];
    }
  }
}

const indexCache = new Map<string, Int32Array>();

/**
 * For every rotated input pixel (r, i, j), the heightmap cell it samples (nearest) or −1 in the padding:
 * computed once per geometry (the node's heightmap size never changes) so inputs, masks, actions and
 * the Q-map view are all lookups in the same table.
 */
export function rotationIndex(width: number, height: number, size: number, rotations: number): Int32Array {
  const key = `${width}x${height}:${size}:${rotations}`;
  let idx = indexCache.get(key);
  if (!idx) {
    idx = new Int32Array(rotations * size * size);
    const c = (size - 1) / 2;
    const cx = (width - 1) / 2;
    const cy = (height - 1) / 2;
    for (let r = 0; r < rotations; r++) {
      const cos = Math.cos(rotationAngle(r, rotations));
      const sin = Math.sin(rotationAngle(r, rotations));
      for (let i = 0; i < size; i++) {
        for (let j = 0; j < size; j++) {
          const col = Math.round(cx + cos * (j - c) - sin * (i - c));
          const row = Math.round(cy + sin * (j - c) + cos * (i - c));
          const inside = col >= 0 && col < width && row >= 0 && row < height;
          idx[(r * size + i) * size + j] = inside ? row * width + col : -1;
        }
      }
    }
    if (indexCache.size > 8) indexCache.clear();
    indexCache.set(key, idx);
  }
  return idx;
}

/** R x C x S x S float input: each rotation of the heightmap, nearest-sampled, 0 (the mean) outside. */
export function rotatedInputs(hm: Heightmap, spec: PolicyInputSpec): Float32Array {
  const { size: s, rotations, channels } = spec;
  const plane = s * s;
  const nc = channels.length;
  const cells = hm.width * hm.height;
  // Normalised channel values per heightmap cell, then a gather through the rotation table.
  const values = channels.map((ch, c) => {
    const read = channelReader(hm, ch);
    const v = new Float32Array(cells);
    for (let k = 0; k < cells; k++) v[k] = (read(k) - spec.mean[c]) / spec.std[c];
    return v;
  });
  const idx = rotationIndex(hm.width, hm.height, s, rotations);
  const out = new Float32Array(rotations * nc * plane);
  for (let r = 0; r < rotations; r++) {
    const base = r * nc * plane;
    for (let p = 0; p < plane; p++) {
      const k = idx[r * plane + p];
      if (k < 0) continue;
      for (let c = 0; c < nc; c++) out[base + c * plane + p] = values[c][k];
    }
  }
  return out;
}

export interface ActionMasks {
  /** R x S x S: 1 where a push may start (free floor with an object ahead within the push length). */
  push: Uint8Array;
  /** S x S at rotation 0: 1 on object cells whose 4 neighbours are object cells too. */
  grasp: Uint8Array;
}

/**
 * Admissible actions, in the rotated frames. A grasp must land on something; a push must start on the
 * floor (a finger cannot go down into an object) and meet an object within its length. Masking keeps
 * Q-learning's samples on actions that can matter; the network still ranks them.
 */
export function actionMasks(hm: Heightmap, spec: PolicyInputSpec, action: PolicyActionSpec): ActionMasks {
  const s = spec.size;
  const plane = s * s;
  const reach = Math.max(1, Math.round(action.pushLength / action.grid.resolution));
  const push = new Uint8Array(spec.rotations * plane);
  const grasp = new Uint8Array(plane);
  const idx = rotationIndex(hm.width, hm.height, s, spec.rotations);
  const w = hm.width;
  const occupied = (k: number) => hm.heights[k] >= action.objectHeight;
  // A grasp needs its whole cell neighbourhood on the object: a cell that only clips an object's edge
  // holds the object's height but its centre, where the cup goes, is on the floor.
  const graspable = (k: number) => {
    const col = k % w;
    const inside = col > 0 && col < w - 1 && k >= w && k < hm.heights.length - w;
    return inside && occupied(k) && occupied(k - 1) && occupied(k + 1) && occupied(k - w) && occupied(k + w);
  };
  for (let r = 0; r < spec.rotations; r++) {
    for (let i = 0; i < s; i++) {
      const row = (r * s + i) * s;
      // Scan right to left, remembering the nearest object cell ahead (+j is the push direction).
      let nextObject = Infinity;
      for (let j = s - 1; j >= 0; j--) {
        const k = idx[row + j];
        if (k < 0) continue;
        if (r === 0 && graspable(k)) grasp[i * s + j] = 1;
        if (occupied(k)) nextObject = j;
        else if (nextObject - j <= reach) push[r * plane + i * s + j] = 1;
      }
    }
  }
  return { push, grasp };
}

export interface PolicyAction {
  primitive: 'push' | 'grasp';
  rotation: number;
  /** Push direction in the world xy plane (radians from +x); 0 for grasps. */
  angle: number;
  /** Pixel in the rotated input frame. */
  i: number;
  j: number;
  /** Heightmap cell. */
  col: number;
  row: number;
  q: number;
  /** World position: the cell centre at the cell's height. */
  position: { x: number; y: number; z: number };
  /**
   * Grasps: the cup's approach direction (unit, world), into the surface along its normal as fitted to
   * the 3 x 3 cells around the target; pushes: straight down.
   */
  approach: { x: number; y: number; z: number };
}

/**
 * Approach along the surface normal: a least-squares plane z = a·x + b·y over the 3 x 3 cells around
 * (col, row) (clamped at the border), tilted at most MAX_APPROACH_TILT from straight down. A suction cup seals best square to the surface: in the simulator
 * the perception network's best suction pixel seals 90 % of the time along this normal against 47 %
 * straight down (30 scenes, docs/policy.md).
 */
export function surfaceApproach(
  hm: Heightmap,
  col: number,
  row: number,
  resolution: number,
): PolicyAction['approach'] {
  let sxx = 0;
  let syy = 0;
  let sxz = 0;
  let syz = 0;
  for (let dr = -1; dr <= 1; dr++) {
    for (let dc = -1; dc <= 1; dc++) {
      const r = Math.min(hm.height - 1, Math.max(0, row + dr));
      const c = Math.min(hm.width - 1, Math.max(0, col + dc));
      const z = hm.heights[r * hm.width + c];
      const x = (c - col) * resolution;
      const y = (r - row) * resolution;
      sxx += x * x;
      syy += y * y;
      sxz += x * z;
      syz += y * z;
    }
  }
  let a = sxx > 0 ? sxz / sxx : 0;
  let b = syy > 0 ? syz / syy : 0;
  // Steep fits (an object's side, a cell at an edge) are tilted back into the arm's reach.
  const slope = Math.hypot(a, b);
  if (slope > MAX_APPROACH_SLOPE) {
    a *= MAX_APPROACH_SLOPE / slope;
    b *= MAX_APPROACH_SLOPE / slope;
  }
  const n = Math.hypot(a, b, 1);
  return { x: a / n, y: b / n, z: -1 / n };
}

/** Approaches tilt at most 40° from straight down (the simulated arm reaches 45°). */
export const MAX_APPROACH_TILT = (40 * Math.PI) / 180;
const MAX_APPROACH_SLOPE = Math.tan(MAX_APPROACH_TILT);

/** The world action at rotated pixel (i, j) of rotation r; null when it falls in the padding. */
export function actionAt(
  primitive: 'push' | 'grasp',
  rotation: number,
  i: number,
  j: number,
  hm: Heightmap,
  spec: PolicyInputSpec,
  grid: HeightmapGrid,
  q = 0,
): PolicyAction | null {
  if (!(rotation >= 0 && rotation < spec.rotations && i >= 0 && i < spec.size && j >= 0 && j < spec.size)) {
    throw new RangeError(
      `action pixel (rotation ${rotation}, i ${i}, j ${j}) is outside ${spec.rotations} x ${spec.size} x ${spec.size}`,
    );
  }
  const r = primitive === 'grasp' ? 0 : rotation;
  const k = rotationIndex(hm.width, hm.height, spec.size, spec.rotations)[
    (r * spec.size + i) * spec.size + j
  ];
  if (k < 0) return null;
  const col = k % hm.width;
  const row = Math.floor(k / hm.width);
  return {
    primitive,
    rotation: r,
    angle: primitive === 'grasp' ? 0 : rotationAngle(rotation, spec.rotations),
    i,
    j,
    col,
    row,
    q,
    position: {
      x: grid.x[0] + (col + 0.5) * grid.resolution,
      y: grid.y[0] + (row + 0.5) * grid.resolution,
      z: grid.z[0] + hm.heights[k],
    },
    approach: primitive === 'grasp' ? surfaceApproach(hm, col, row, grid.resolution) : { x: 0, y: 0, z: -1 },
  };
}

/**
 * Greedy action over masked Q maps in the rotated frames: push R x S x S, grasp S x S (rotation 0).
 * Null when nothing is admissible (an empty workspace).
 */
export function greedyAction(
  pushQ: Float32Array,
  graspQ: Float32Array,
  masks: ActionMasks,
  hm: Heightmap,
  spec: PolicyInputSpec,
  grid: HeightmapGrid,
): PolicyAction | null {
  const plane = spec.size * spec.size;
  let best = { primitive: 'grasp' as 'push' | 'grasp', k: -1, q: -Infinity };
  for (let k = 0; k < plane; k++) {
    if (masks.grasp[k] && graspQ[k] > best.q) best = { primitive: 'grasp', k, q: graspQ[k] };
  }
  for (let k = 0; k < pushQ.length; k++) {
    if (masks.push[k] && pushQ[k] > best.q) best = { primitive: 'push', k, q: pushQ[k] };
  }
  if (best.k < 0) return null;
  const rotation = Math.floor(best.k / plane);
  const p = best.k % plane;
  return actionAt(best.primitive, rotation, Math.floor(p / spec.size), p % spec.size, hm, spec, grid, best.q);
}
