// VPG's state: an orthographic RGB-D heightmap of the workspace. Every valid depth pixel is lifted to
// 3-D, moved into the world frame, and binned onto a top-down grid; a cell keeps its highest point's
// height above the workspace floor and that point's colour. One implementation serves the policy node
// and, through the simulator, training.
import { type RigidTransform, transformPoint } from '../geometry';
import { type CameraModel } from '../image';

export interface HeightmapGrid {
  /** Workspace bounds in the world frame, metres: [min, max] per axis (z: floor and ceiling). */
  x: [number, number];
  y: [number, number];
  z: [number, number];
  /** Cell size, metres (VPG: 0.002 over 0.448 m → 224 × 224). */
  resolution: number;
}

/** VPG's workspace: 0.448 m square at 2 mm, centred on the world origin, 0–0.3 m high. */
export const VPG_GRID: HeightmapGrid = {
  x: [-0.224, 0.224],
  y: [-0.224, 0.224],
  z: [0, 0.3],
  resolution: 0.002,
};

export interface Heightmap {
  /** Cells along x (columns) and y (rows); row 0 is y min. */
  width: number;
  height: number;
  /** Height above the floor (z min), metres; 0 where no point fell. */
  heights: Float32Array;
  /** RGB of each cell's highest point (0 where none). */
  colors: Uint8Array;
  /** 1 where at least one point fell in the cell (gaps filled from neighbours stay 0). */
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
 * rgb: tight RGB at camera resolution; depth: metres (NaN/0 = invalid); worldFromCamera: the optical
 * frame's pose in the world (maps camera points to world points).
 */
export function computeHeightmap(
  rgb: Uint8Array,
  depth: Float32Array,
  camera: CameraModel,
  worldFromCamera: RigidTransform,
  grid: HeightmapGrid = VPG_GRID,
  fillRadius = 2,
  suctionMap?: Float32Array,
): Heightmap {
  const { width, height } = gridSize(grid);
  if (!(width > 0 && height > 0)) throw new Error(`heightmap grid is empty (${width}x${height} cells)`);
  if (depth.length !== camera.width * camera.height || rgb.length !== 3 * depth.length) {
    throw new Error(
      `heightmap inputs disagree: ${camera.width}x${camera.height} camera, ${depth.length} depth values, ${rgb.length / 3} colour pixels`,
    );
  }
  const heights = new Float32Array(width * height).fill(-Infinity);
  const colors = new Uint8Array(width * height * 3);
  const observed = new Uint8Array(width * height);
  if (suctionMap && suctionMap.length !== depth.length) {
    throw new Error(`suction heatmap has ${suctionMap.length} values for ${depth.length} depth pixels`);
  }
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
  fillGaps(heights, colors, observed, width, height, fillRadius, suction);
  return { width, height, heights, colors, observed, ...(suction ? { suction } : {}) };
}

/**
 * A camera pixel's footprint can exceed a cell (320x240 at 0.7 m: ~2.3 mm per pixel vs 2 mm cells),
 * leaving empty cells between points: each takes the highest observed cell within `radius` cells.
 */
function fillGaps(
  heights: Float32Array,
  colors: Uint8Array,
  observed: Uint8Array,
  width: number,
  height: number,
  radius: number,
  suction?: Float32Array,
): void {
  if (radius <= 0) return;
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
