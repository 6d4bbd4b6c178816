// VPG's state: an orthographic RGB-D heightmap of the workspace. Two methods, named in the policy
// manifest's grid (`method`), since a policy only works on the state it was trained on:
// - 'point_max' (the shipped policies; the default when a manifest names none): each valid depth pixel
//   lifted to the world sets its cell to the highest point in it, gaps filled from the highest observed
//   cell within 2 cells. It depends on the camera: sparse pixels dilate objects, dense ones do not.
// - 'footprint': camera-independent, described next; for policies trained on it.
//
// 'footprint': a cell is
// as high as the surface at 3 x 3 fixed points inside it. Every valid depth pixel is lifted to 3-D in
// the world frame and covers its footprint (the surface patch it images, from the spacing to its
// neighbours); each point takes the highest footprint over it. So a cell's height does not depend on
// how many pixels fall in it: sparse and dense cameras, near and far, give the same map. Cells no
// footprint reaches (occluded, out of view, missing depth) are explicitly unobserved and take the
// lowest height around their region: a shadow behind an object is floor, a dropout on a box top is
// the top, and nothing is dilated. One implementation serves the policy node and, through the
// simulator, training.
import { type RigidTransform, transformPoint } from '../geometry';
import { type CameraModel } from '../image';
import { type HEIGHTMAP_METHODS } from '../models/manifest';

export interface HeightmapGrid {
  /** Workspace bounds in the world frame, metres: [min, max] per axis (z: floor and ceiling). */
  x: [number, number];
  y: [number, number];
  z: [number, number];
  /** Cell size, metres (VPG: 0.002 over 0.448 m → 224 × 224). */
  resolution: number;
  /** How depth becomes cells (see above); absent: 'point_max', what the shipped policies were trained on. */
  method?: HeightmapMethod;
}

export type HeightmapMethod = (typeof HEIGHTMAP_METHODS)[number];

/** VPG's workspace: 0.448 m square at 2 mm, centred on the world origin, 0–0.3 m high. */
export const VPG_GRID: HeightmapGrid = {
  x: [-0.224, 0.224],
  y: [-0.224, 0.224],
  z: [0, 0.3],
  resolution: 0.002,
};

/** A workspace grid's wall margin: the bin floor less this at each wall, so wall tops never look like objects. */
export const GRID_WALL_MARGIN = 0.007;

/**
 * The grid over a workspace of half extents [hx, hy] centred on the world origin (a bin's inner floor,
 * or a table top's area) at `like`'s resolution, height range and method: the floor less
 * GRID_WALL_MARGIN at each wall, a whole number of cells per side. A policy trained on totes of several
 * sizes keeps its cell size (what an object looks like) and takes as many cells as the tote needs:
 * the default 0.448 m bin at 7 mm is the shipped 62 x 62 grid, the ARC tote (0.35 x 0.6 m) 48 x 84.
 */
/** Half extents [x, y] of a workspace from its corners (a cell sample's `workspace`): those on the floor. */
export function floorHalfExtents(corners: readonly { x: number; y: number; z: number }[]): [number, number] {
  const floor = corners.filter((c) => c.z === 0);
  return [Math.max(...floor.map((c) => Math.abs(c.x))), Math.max(...floor.map((c) => Math.abs(c.y)))];
}

export function workspaceGrid(
  [hx, hy]: readonly [number, number],
  like: Pick<HeightmapGrid, 'resolution' | 'z' | 'method'>,
): HeightmapGrid {
  const res = like.resolution;
  const side = (h: number): [number, number] => {
    const half = (Math.max(1, Math.round((2 * (h - GRID_WALL_MARGIN)) / res)) * res) / 2;
    return [-half, half];
  };
  return {
    x: side(hx),
    y: side(hy),
    z: [like.z[0], like.z[1]],
    resolution: res,
    ...(like.method ? { method: like.method } : {}),
  };
}

export interface Heightmap {
  /** Cells along x (columns) and y (rows); row 0 is y min. */
  width: number;
  height: number;
  /**
   * Height above the floor (z min), metres: the top of the surface at the cell's sample points (their
   * mean within 8 mm of the highest). Unobserved cells hold the lowest observed height bordering their
   * unobserved region (0 where nothing borders it).
   */
  heights: Float32Array;
  /** RGB of the surface that sets each cell's height (the same samples' mean). */
  colors: Uint8Array;
  /** 1 where some depth pixel's footprint covers a sample point of the cell; 0: occluded, out of view or no depth. */
  observed: Uint8Array;
  /** Optional per-cell suction score (0–1) projected from a camera-resolution heatmap. */
  suction?: Float32Array;
}

export function gridSize(g: HeightmapGrid): { width: number; height: number } {
  return {
    width: Math.round((g.x[1] - g.x[0]) / g.resolution),
    height: Math.round((g.y[1] - g.y[0]) / g.resolution),
  };
}

/**
 * Points this far below the floor are the floor seen through depth noise (kept at height 0); lower
 * ones are something else (the table outside a bin) and dropped.
 */
const FLOOR_TOLERANCE = 0.01;
/**
 * Neighbouring pixels further apart than this many pixel footprints (depth / focal length) image
 * different surfaces: a depth edge, not a patch to span. 3 admits surfaces up to ~70° from frontal.
 */
const CONTINUITY_FOOTPRINTS = 3;
/**
 * Fixed points per cell side where the surface is read: a cell is as high as the surface at its
 * 3 x 3 points, whatever the pixel density (3 over 7 mm cells is the 320 x 240 pixel spacing at 0.7 m
 * the shipped policies were trained on).
 */
const SUBSAMPLES = 3;
/**
 * A cell's surface is the samples within this of its highest one: several noise widths of a depth
 * camera at 1 m (σ ≈ 3 mm), less than the thinnest object the policy counts (1 cm).
 */
const TOP_LAYER = 0.008;

/**
 * rgb: tight RGB at camera resolution; depth: metres (NaN/0 = invalid); worldFromCamera: the optical
 * frame's pose in the world (maps camera points to world points).
 */
export function computeHeightmap(
  rgb: Uint8Array,
  depth: Float32Array,
  camera: CameraModel,
  worldFromCamera: RigidTransform,
  grid: HeightmapGrid = VPG_GRID,
  suctionMap?: Float32Array,
): Heightmap {
  const { width, height } = gridSize(grid);
  if (!(width > 0 && height > 0)) throw new Error(`heightmap grid is empty (${width}x${height} cells)`);
  if (depth.length !== camera.width * camera.height || rgb.length !== 3 * depth.length) {
    throw new Error(
      `heightmap inputs disagree: ${camera.width}x${camera.height} camera, ${depth.length} depth values, ${rgb.length / 3} colour pixels`,
    );
  }
  if (suctionMap && suctionMap.length !== depth.length) {
    throw new Error(`suction heatmap has ${suctionMap.length} values for ${depth.length} depth pixels`);
  }
  if ((grid.method ?? 'point_max') === 'point_max')
    return pointMaxHeightmap(rgb, depth, camera, worldFromCamera, grid, suctionMap);
  const { x: wx, y: wy, z: wz } = liftPoints(depth, camera, worldFromCamera, grid);
  const heights = new Float32Array(width * height);
  const colors = new Uint8Array(width * height * 3);
  const observed = new Uint8Array(width * height);
  const suction = suctionMap ? new Float32Array(width * height) : undefined;
  const cw = camera.width;
  const ch = camera.height;
  // The fronto-parallel footprint's world axes per metre of depth: the fallback across depth edges.
  const r = worldFromCamera.rotation;
  const q = transformPoint({ rotation: r, translation: { x: 0, y: 0, z: 0 } }, { x: 1, y: 0, z: 0 });
  const s = transformPoint({ rotation: r, translation: { x: 0, y: 0, z: 0 } }, { x: 0, y: 1, z: 0 });
  const frontal = {
    ux: Math.abs(q.x) / camera.fx,
    uy: Math.abs(q.y) / camera.fx,
    vx: Math.abs(s.x) / camera.fy,
    vy: Math.abs(s.y) / camera.fy,
  };
  const minFocal = Math.min(camera.fx, camera.fy);
  const res = grid.resolution;
  const step = new Float64Array(2);
  const box = new Float64Array(2);
  /** Half the footprint of pixel i (at (u, v)) along world x and y, into box. */
  const footprint = (u: number, v: number, i: number) => {
    const d = depth[i];
    const reach = (CONTINUITY_FOOTPRINTS * d) / minFocal;
    // From the larger one-sided step to a neighbour on the same surface, per image axis; the pixel's
    // frontal footprint where neither neighbour is on it.
    span(u > 0 ? i - 1 : -1, u < cw - 1 ? i + 1 : -1, i, reach, wx, wy, wz, step);
    const ax = step[0] < 0 ? frontal.ux * d : step[0];
    const ay = step[0] < 0 ? frontal.uy * d : step[1];
    span(v > 0 ? i - cw : -1, v < ch - 1 ? i + cw : -1, i, reach, wx, wy, wz, step);
    const bx = step[0] < 0 ? frontal.vx * d : step[0];
    const by = step[0] < 0 ? frontal.vy * d : step[1];
    box[0] = (ax + bx) / 2;
    box[1] = (ay + by) / 2;
  };
  // The surface at SUBSAMPLES x SUBSAMPLES fixed points of each cell: the highest footprint covering
  // each point, and which pixel it is.
  const n = SUBSAMPLES;
  const fw = width * n;
  const fh = height * n;
  const fine = res / n;
  const sampleZ = new Float32Array(fw * fh).fill(-Infinity);
  const samplePixel = new Int32Array(fw * fh).fill(-1);
  for (let v = 0; v < ch; v++) {
    for (let u = 0; u < cw; u++) {
      const i = v * cw + u;
      const z = wz[i];
      if (Number.isNaN(z)) continue;
      footprint(u, v, i);
      // Sample points sit at (j + ½)·fine from the grid's corner.
      const c0 = Math.max(0, Math.ceil((wx[i] - box[0] - grid.x[0]) / fine - 0.5));
      const c1 = Math.min(fw - 1, Math.floor((wx[i] + box[0] - grid.x[0]) / fine - 0.5));
      const r0 = Math.max(0, Math.ceil((wy[i] - box[1] - grid.y[0]) / fine - 0.5));
      const r1 = Math.min(fh - 1, Math.floor((wy[i] + box[1] - grid.y[0]) / fine - 0.5));
      for (let row = r0; row <= r1; row++) {
        for (let col = c0; col <= c1; col++) {
          const s = row * fw + col;
          if (z <= sampleZ[s]) continue;
          sampleZ[s] = z;
          samplePixel[s] = i;
        }
      }
    }
  }
  // A cell: the mean of its covered samples within TOP_LAYER of the highest (height, colour, suction),
  // so depth noise does not raise a cell more where more pixels fall in it, as a plain maximum would.
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const k = row * width + col;
      let top = -Infinity;
      for (let a = 0; a < n; a++)
        for (let b = 0; b < n; b++) top = Math.max(top, sampleZ[(row * n + a) * fw + col * n + b]);
      if (top === -Infinity) continue;
      observed[k] = 1;
      let count = 0;
      let z = 0;
      let red = 0;
      let green = 0;
      let blue = 0;
      let score = 0;
      for (let a = 0; a < n; a++) {
        for (let b = 0; b < n; b++) {
          const s = (row * n + a) * fw + col * n + b;
          if (sampleZ[s] < top - TOP_LAYER) continue;
          const i = samplePixel[s];
          count++;
          z += sampleZ[s];
          red += rgb[3 * i];
          green += rgb[3 * i + 1];
          blue += rgb[3 * i + 2];
          if (suctionMap) score += suctionMap[i];
        }
      }
      heights[k] = z / count;
      colors[3 * k] = Math.round(red / count);
      colors[3 * k + 1] = Math.round(green / count);
      colors[3 * k + 2] = Math.round(blue / count);
      if (suction) suction[k] = score / count;
    }
  }
  fillUnobserved(heights, colors, observed, width, height, suction);
  return { width, height, heights, colors, observed, ...(suction ? { suction } : {}) };
}

/**
 * The larger |dx|, |dy| from pixel i to its neighbours j and k (−1: none) on the same surface (within
 * `reach`, metres) into out; out[0] = −1 when neither is.
 */
function span(
  j: number,
  k: number,
  i: number,
  reach: number,
  x: Float32Array,
  y: Float32Array,
  z: Float32Array,
  out: Float64Array,
): void {
  out[0] = -1;
  out[1] = -1;
  for (let m = 0; m < 2; m++) {
    const n = m === 0 ? j : k;
    if (n < 0 || Number.isNaN(z[n])) continue;
    const dx = Math.abs(x[n] - x[i]);
    const dy = Math.abs(y[n] - y[i]);
    const dz = z[n] - z[i];
    if (dx * dx + dy * dy + dz * dz > reach * reach) continue;
    if (dx > out[0]) out[0] = dx;
    if (dy > out[1]) out[1] = dy;
  }
}

/** World points of the valid pixels as heights above the floor (NaN: no depth, or outside the z range). */
function liftPoints(
  depth: Float32Array,
  camera: CameraModel,
  worldFromCamera: RigidTransform,
  grid: HeightmapGrid,
): { x: Float32Array; y: Float32Array; z: Float32Array } {
  const n = depth.length;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  const z = new Float32Array(n).fill(NaN);
  const { fx, fy, cx, cy } = camera;
  const [zMin, zMax] = grid.z;
  for (let v = 0; v < camera.height; v++) {
    for (let u = 0; u < camera.width; u++) {
      const i = v * camera.width + u;
      const d = depth[i];
      if (!(d > 0 && Number.isFinite(d))) continue;
      const p = transformPoint(worldFromCamera, { x: ((u - cx) / fx) * d, y: ((v - cy) / fy) * d, z: d });
      if (p.z < zMin - FLOOR_TOLERANCE || p.z > zMax) continue;
      x[i] = p.x;
      y[i] = p.y;
      z[i] = Math.max(0, p.z - zMin);
    }
  }
  return { x, y, z };
}

/**
 * Each 4-connected region of unobserved cells takes the lowest observed height on its border (and that
 * cell's colour and suction): what is hidden beside an object is most likely what lies beyond it, and
 * a hole inside a surface is that surface. A region with no observed border stays at 0.
 */
function fillUnobserved(
  heights: Float32Array,
  colors: Uint8Array,
  observed: Uint8Array,
  width: number,
  height: number,
  suction?: Float32Array,
): void {
  const region = new Int32Array(width * height).fill(-1);
  const queue = new Int32Array(width * height);
  const members: number[] = [];
  for (let seed = 0; seed < heights.length; seed++) {
    if (observed[seed] || region[seed] >= 0) continue;
    let head = 0;
    let tail = 0;
    queue[tail++] = seed;
    region[seed] = seed;
    members.length = 0;
    let lowest = -1;
    const visit = (n: number) => {
      if (observed[n]) {
        if (lowest < 0 || heights[n] < heights[lowest]) lowest = n;
      } else if (region[n] < 0) {
        region[n] = seed;
        queue[tail++] = n;
      }
    };
    while (head < tail) {
      const k = queue[head++];
      members.push(k);
      const col = k % width;
      if (col > 0) visit(k - 1);
      if (col < width - 1) visit(k + 1);
      if (k >= width) visit(k - width);
      if (k < heights.length - width) visit(k + width);
    }
    for (const k of members) {
      if (lowest < 0) {
        heights[k] = 0;
        continue;
      }
      heights[k] = heights[lowest];
      colors.copyWithin(3 * k, 3 * lowest, 3 * lowest + 3);
      if (suction) suction[k] = suction[lowest];
    }
  }
}

/** The 'point_max' method: per-cell highest point, gaps filled from the highest cell within 2 cells. */
function pointMaxHeightmap(
  rgb: Uint8Array,
  depth: Float32Array,
  camera: CameraModel,
  worldFromCamera: RigidTransform,
  grid: HeightmapGrid,
  suctionMap?: Float32Array,
): Heightmap {
  const { width, height } = gridSize(grid);
  const heights = new Float32Array(width * height).fill(-Infinity);
  const colors = new Uint8Array(width * height * 3);
  const observed = new Uint8Array(width * height);
  const suction = suctionMap ? new Float32Array(width * height) : undefined;
  const { fx, fy, cx, cy } = camera;
  const [zMin, zMax] = grid.z;
  for (let v = 0; v < camera.height; v++) {
    for (let u = 0; u < camera.width; u++) {
      const i = v * camera.width + u;
      const d = depth[i];
      if (!(d > 0)) continue;
      const p = transformPoint(worldFromCamera, { x: ((u - cx) / fx) * d, y: ((v - cy) / fy) * d, z: d });
      if (p.z < zMin || p.z > zMax) continue;
      const col = Math.floor((p.x - grid.x[0]) / grid.resolution);
      const row = Math.floor((p.y - grid.y[0]) / grid.resolution);
      if (col < 0 || col >= width || row < 0 || row >= height) continue;
      const k = row * width + col;
      observed[k] = 1;
      const h = p.z - zMin;
      if (h > heights[k]) {
        heights[k] = h;
        colors[3 * k] = rgb[3 * i];
        colors[3 * k + 1] = rgb[3 * i + 1];
        colors[3 * k + 2] = rgb[3 * i + 2];
        if (suction && suctionMap) suction[k] = suctionMap[i];
      }
    }
  }
  for (let k = 0; k < heights.length; k++) if (!observed[k]) heights[k] = 0;
  dilateIntoGaps(heights, colors, observed, width, height, POINT_MAX_FILL_RADIUS, suction);
  return { width, height, heights, colors, observed, ...(suction ? { suction } : {}) };
}

/** Cells the 'point_max' method fills from an observed neighbour (320x240 at 0.7 m: ~2.3 mm pixels vs 2 mm cells). */
const POINT_MAX_FILL_RADIUS = 2;

/** Each unobserved cell takes the highest observed cell within `radius` cells. */
function dilateIntoGaps(
  heights: Float32Array,
  colors: Uint8Array,
  observed: Uint8Array,
  width: number,
  height: number,
  radius: number,
  suction?: Float32Array,
): void {
  for (let row = 0; row < height; row++) {
    for (let col = 0; col < width; col++) {
      const k = row * width + col;
      if (observed[k]) continue;
      let best = -1;
      for (let r = Math.max(0, row - radius); r <= Math.min(height - 1, row + radius); r++) {
        for (let c = Math.max(0, col - radius); c <= Math.min(width - 1, col + radius); c++) {
          const j = r * width + c;
          if (observed[j] && (best < 0 || heights[j] > heights[best])) best = j;
        }
      }
      if (best < 0) continue;
      heights[k] = heights[best];
      colors.copyWithin(3 * k, 3 * best, 3 * best + 3);
      if (suction) suction[k] = suction[best];
    }
  }
}
