// Primary-ray renderer. One ray per pixel centre is cast from the camera against the exact
// primitives; primitives are culled per 16×16 tile by their projected bounding boxes. The same pass
// records every object's amodal mask (every primitive the ray hits, not only the nearest), so "the
// object rendered alone" costs nothing extra.
import { type Camera } from './camera';
import { type Vec3 } from './math';
import {
  F_EXTENT,
  F_KIND,
  F_MATERIAL,
  F_OBJECT,
  F_OFFSET,
  F_PARAMS,
  F_POS,
  F_RADIUS,
  F_ROT,
  HIT_NONE,
  HIT_TABLE,
  intersectLocal,
  intersectWorld,
  localNormal,
  MATERIAL_TABLE,
  PRIMITIVE_STRIDE,
  type PrimitiveSet,
} from './raycast';
import { MATERIAL_LOOKS, MATERIAL_MODES, MATTE } from './materials';
import { type NoiseSource, type Rng } from './random';
import { type Lighting, type Rgb } from './scene';
import { type PrintRaster, samplePrint, sampleTexture } from './texture';

/** A binary mask stored only inside its rectangle of the image. */
export interface CroppedMask {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Row-major, 1 inside the mask, `width × height` long. */
  data: Uint8Array;
}

export interface PrimaryPass {
  width: number;
  height: number;
  /** Exact optical depth in metres, 0 where the ray hits nothing. */
  depth: Float32Array;
  /** Per-pixel hit code: primitive index, HIT_TABLE or HIT_NONE. */
  hit: Int32Array;
  /** Per object index: the object's silhouette ignoring every other object (null: not in view). */
  amodal: (CroppedMask | null)[];
  /** The primitives as seen from this camera (reused by shading). */
  local: CameraLocal;
}

export interface TraceOptions {
  /** Record amodal masks (the labels need them; the depth-only renders of actions do not). */
  amodal: boolean;
  tileSize: number;
}

/** Per-primitive data specialised to one camera: local camera origin and local ray matrix. */
export interface CameraLocal {
  kind: Int32Array;
  object: Int32Array;
  params: Float64Array; // 3 per primitive
  origin: Float64Array; // 3 per primitive: camera centre in the primitive frame
  matrix: Float64Array; // 9 per primitive: Rᵀ_primitive · R_world←camera
  bbox: Int32Array; // 4 per primitive: u0, v0, u1, v1 (inclusive) or u0 > u1 when off screen
}

function cameraLocal(set: PrimitiveSet, camera: Camera): CameraLocal {
  const n = set.count;
  const d = set.data;
  const { width, height, fx, fy, cx, cy } = camera.intrinsics;
  const rc = camera.worldFromCamera.rotation;
  const c = camera.worldFromCamera.translation;
  const cw = camera.cameraFromWorld;
  const out: CameraLocal = {
    kind: new Int32Array(n),
    object: new Int32Array(n),
    params: new Float64Array(3 * n),
    origin: new Float64Array(3 * n),
    matrix: new Float64Array(9 * n),
    bbox: new Int32Array(4 * n),
  };
  for (let i = 0; i < n; i++) {
    const o = i * PRIMITIVE_STRIDE;
    const r = o + F_ROT;
    out.kind[i] = d[o + F_KIND];
    out.object[i] = d[o + F_OBJECT];
    out.params.set(d.subarray(o + F_PARAMS, o + F_PARAMS + 3), 3 * i);
    const px = c.x - d[o + F_POS];
    const py = c.y - d[o + F_POS + 1];
    const pz = c.z - d[o + F_POS + 2];
    out.origin[3 * i] = d[r] * px + d[r + 3] * py + d[r + 6] * pz;
    out.origin[3 * i + 1] = d[r + 1] * px + d[r + 4] * py + d[r + 7] * pz;
    out.origin[3 * i + 2] = d[r + 2] * px + d[r + 5] * py + d[r + 8] * pz;
    for (let row = 0; row < 3; row++) {
      for (let col = 0; col < 3; col++) {
        out.matrix[9 * i + 3 * row + col] =
          d[r + row] * rc[col] + d[r + 3 + row] * rc[3 + col] + d[r + 6 + row] * rc[6 + col];
      }
    }
    // Screen box of the primitive's 8 bounding-box corners; conservative for a convex solid.
    let u0 = Infinity;
    let v0 = Infinity;
    let u1 = -Infinity;
    let v1 = -Infinity;
    let behind = false;
    for (let k = 0; k < 8; k++) {
      const lx = (k & 1 ? 1 : -1) * d[o + F_EXTENT];
      const ly = (k & 2 ? 1 : -1) * d[o + F_EXTENT + 1];
      const lz = (k & 4 ? 1 : -1) * d[o + F_EXTENT + 2];
      const wx = d[r] * lx + d[r + 1] * ly + d[r + 2] * lz + d[o + F_POS];
      const wy = d[r + 3] * lx + d[r + 4] * ly + d[r + 5] * lz + d[o + F_POS + 1];
      const wz = d[r + 6] * lx + d[r + 7] * ly + d[r + 8] * lz + d[o + F_POS + 2];
      const m = cw.rotation;
      const t = cw.translation;
      const x = m[0] * wx + m[1] * wy + m[2] * wz + t.x;
      const y = m[3] * wx + m[4] * wy + m[5] * wz + t.y;
      const z = m[6] * wx + m[7] * wy + m[8] * wz + t.z;
      if (z <= 1e-6) {
        behind = true;
        break;
      }
      const u = (fx * x) / z + cx;
      const v = (fy * y) / z + cy;
      if (u < u0) u0 = u;
      if (u > u1) u1 = u;
      if (v < v0) v0 = v;
      if (v > v1) v1 = v;
    }
    const b = 4 * i;
    if (behind) {
      out.bbox[b] = 0;
      out.bbox[b + 1] = 0;
      out.bbox[b + 2] = width - 1;
      out.bbox[b + 3] = height - 1;
    } else {
      out.bbox[b] = Math.max(0, Math.floor(u0));
      out.bbox[b + 1] = Math.max(0, Math.floor(v0));
      out.bbox[b + 2] = Math.min(width - 1, Math.ceil(u1));
      out.bbox[b + 3] = Math.min(height - 1, Math.ceil(v1));
    }
  }
  return out;
}

/** Casts one ray per pixel centre. Pure: same inputs → identical buffers. */
export function tracePrimary(set: PrimitiveSet, camera: Camera, options: TraceOptions): PrimaryPass {
  const { width, height, fx, fy, cx, cy } = camera.intrinsics;
  const local = cameraLocal(set, camera);
  const { kind, object, params, origin, matrix, bbox } = local;
  const tile = options.tileSize;
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);

  // Tile lists in CSR form; primitives enter in index order, so the traversal is deterministic.
  const counts = new Int32Array(tilesX * tilesY + 1);
  const forEachTile = (i: number, f: (t: number) => void): void => {
    const b = 4 * i;
    if (bbox[b] > bbox[b + 2] || bbox[b + 1] > bbox[b + 3]) return;
    for (let ty = Math.floor(bbox[b + 1] / tile); ty <= Math.floor(bbox[b + 3] / tile); ty++) {
      for (let tx = Math.floor(bbox[b] / tile); tx <= Math.floor(bbox[b + 2] / tile); tx++)
        f(ty * tilesX + tx);
    }
  };
  for (let i = 0; i < set.count; i++) forEachTile(i, (t) => counts[t + 1]++);
  for (let t = 0; t < tilesX * tilesY; t++) counts[t + 1] += counts[t];
  const lists = new Int32Array(counts[tilesX * tilesY]);
  const fill = counts.slice(0, tilesX * tilesY);
  for (let i = 0; i < set.count; i++) forEachTile(i, (t) => (lists[fill[t]++] = i));

  // Amodal crops: the union of each object's primitive boxes.
  const objectCount = set.objectIds.length;
  const amodal: (CroppedMask | null)[] = new Array(objectCount).fill(null);
  if (options.amodal) {
    for (let k = 0; k < objectCount; k++) {
      let x0 = width;
      let y0 = height;
      let x1 = -1;
      let y1 = -1;
      for (let i = set.objectFirst[k]; i < set.objectFirst[k + 1]; i++) {
        const b = 4 * i;
        if (bbox[b] > bbox[b + 2] || bbox[b + 1] > bbox[b + 3]) continue;
        x0 = Math.min(x0, bbox[b]);
        y0 = Math.min(y0, bbox[b + 1]);
        x1 = Math.max(x1, bbox[b + 2]);
        y1 = Math.max(y1, bbox[b + 3]);
      }
      if (x1 >= x0 && y1 >= y0) {
        const w = x1 - x0 + 1;
        const h = y1 - y0 + 1;
        amodal[k] = { x: x0, y: y0, width: w, height: h, data: new Uint8Array(w * h) };
      }
    }
  }

  const depth = new Float32Array(width * height);
  const hit = new Int32Array(width * height).fill(HIT_NONE);
  const rc = camera.worldFromCamera.rotation;
  const camZ = camera.worldFromCamera.translation.z;
  const tableZ = set.tableZ;
  const candidates = new Int32Array(set.count);
  for (let ty = 0; ty < tilesY; ty++) {
    for (let tx = 0; tx < tilesX; tx++) {
      const t = ty * tilesX + tx;
      let n = 0;
      for (let k = counts[t]; k < counts[t + 1]; k++) candidates[n++] = lists[k];
      const vEnd = Math.min(height, (ty + 1) * tile);
      const uEnd = Math.min(width, (tx + 1) * tile);
      for (let v = ty * tile; v < vEnd; v++) {
        const y = (v - cy) / fy;
        for (let u = tx * tile; u < uEnd; u++) {
          const x = (u - cx) / fx;
          let best = Infinity;
          let bestHit = HIT_NONE;
          for (let k = 0; k < n; k++) {
            const i = candidates[k];
            const b = 4 * i;
            if (u < bbox[b] || u > bbox[b + 2] || v < bbox[b + 1] || v > bbox[b + 3]) continue;
            const m = 9 * i;
            const p = 3 * i;
            const tHit = intersectLocal(
              kind[i],
              params[p],
              params[p + 1],
              params[p + 2],
              origin[p],
              origin[p + 1],
              origin[p + 2],
              matrix[m] * x + matrix[m + 1] * y + matrix[m + 2],
              matrix[m + 3] * x + matrix[m + 4] * y + matrix[m + 5],
              matrix[m + 6] * x + matrix[m + 7] * y + matrix[m + 8],
            );
            if (tHit === Infinity) continue;
            const obj = object[i];
            if (obj >= 0) {
              const crop = amodal[obj];
              if (crop) crop.data[(v - crop.y) * crop.width + (u - crop.x)] = 1;
            }
            if (tHit < best) {
              best = tHit;
              bestHit = i;
            }
          }
          // The ray direction has optical z = 1, so the ray parameter is the optical depth.
          const dzWorld = rc[6] * x + rc[7] * y + rc[8];
          if (dzWorld < 0) {
            const tTable = (tableZ - camZ) / dzWorld;
            if (tTable > 0 && tTable < best) {
              best = tTable;
              bestHit = HIT_TABLE;
            }
          }
          const pixel = v * width + u;
          hit[pixel] = bestHit;
          depth[pixel] = bestHit === HIT_NONE ? 0 : best;
        }
      }
    }
  }
  return { width, height, depth, hit, amodal, local };
}

/** Surface point and outward normal (world) seen at every pixel, for shading and the seal model. */
export function surfaceAt(
  set: PrimitiveSet,
  camera: Camera,
  pass: PrimaryPass,
  pixel: number,
  point: Float64Array,
  normal: Float64Array,
): boolean {
  const h = pass.hit[pixel];
  if (h === HIT_NONE) return false;
  const { width, fx, fy, cx, cy } = camera.intrinsics;
  const u = pixel % width;
  const v = (pixel - u) / width;
  const t = pass.depth[pixel];
  const x = ((u - cx) / fx) * t;
  const y = ((v - cy) / fy) * t;
  const rc = camera.worldFromCamera.rotation;
  const c = camera.worldFromCamera.translation;
  point[0] = rc[0] * x + rc[1] * y + rc[2] * t + c.x;
  point[1] = rc[3] * x + rc[4] * y + rc[5] * t + c.y;
  point[2] = rc[6] * x + rc[7] * y + rc[8] * t + c.z;
  if (h === HIT_TABLE) {
    normal[0] = 0;
    normal[1] = 0;
    normal[2] = 1;
    return true;
  }
  const d = set.data;
  const o = h * PRIMITIVE_STRIDE;
  const r = o + F_ROT;
  const px = point[0] - d[o + F_POS];
  const py = point[1] - d[o + F_POS + 1];
  const pz = point[2] - d[o + F_POS + 2];
  localNormal(
    d[o + F_KIND],
    d[o + F_PARAMS],
    d[o + F_PARAMS + 1],
    d[o + F_PARAMS + 2],
    d[r] * px + d[r + 3] * py + d[r + 6] * pz,
    d[r + 1] * px + d[r + 4] * py + d[r + 7] * pz,
    d[r + 2] * px + d[r + 5] * py + d[r + 8] * pz,
    normal,
  );
  const lx = normal[0];
  const ly = normal[1];
  const lz = normal[2];
  normal[0] = d[r] * lx + d[r + 1] * ly + d[r + 2] * lz;
  normal[1] = d[r + 3] * lx + d[r + 4] * ly + d[r + 5] * lz;
  normal[2] = d[r + 6] * lx + d[r + 7] * ly + d[r + 8] * lz;
  return true;
}

/** Per-frame colour adjustments (all identity when realism is off). */
export interface ColorJitter {
  gain: Rgb;
  offset: number;
  /** Per-pixel Gaussian noise, in 8-bit units; 0 disables. */
  noiseSigma: number;
  /** Source of the per-pixel noise. */
  noise: NoiseSource | null;
}

export const NO_COLOR_JITTER: Readonly<ColorJitter> = Object.freeze({
  gain: [1, 1, 1] as Rgb,
  offset: 0,
  noiseSigma: 0,
  noise: null,
});

// Linear → sRGB byte, tabulated (Math.pow per channel per pixel would dominate the frame).
const SRGB_STEPS = 4096;
const SRGB_TABLE = (() => {
  const table = new Uint8Array(SRGB_STEPS + 1);
  for (let i = 0; i <= SRGB_STEPS; i++) {
    const l = i / SRGB_STEPS;
    const s = l <= 0.0031308 ? 12.92 * l : 1.055 * Math.pow(l, 1 / 2.4) - 0.055;
    table[i] = Math.round(255 * s);
  }
  return table;
})();

function toSrgbByte(linear: number): number {
  if (!(linear > 0)) return 0;
  if (linear >= 1) return 255;
  return SRGB_TABLE[(linear * SRGB_STEPS + 0.5) | 0];
}

/** Per-material surface looks; absent in shadeColor: every surface matte, no prints, no shadows. */
export interface SurfaceOptions {
  /** MATERIAL_MODES code per material index (0 table, 1 bin, 2 + i object i). */
  materialCodes: Uint8Array;
  /** Printed decal per material index (null: none). */
  prints: readonly (PrintRaster | null)[];
  /** Cast shadows of the directional light (one shadow ray per lit pixel). */
  shadows: boolean;
  /**
   * What lies behind transparent surfaces: the colour image of the scene without them (same
   * camera); transparent pixels blend it with their own shading by the material's opacity.
   */
  behind?: Uint8Array;
}

/**
 * Light colour of a black body at `kelvin` (Tanner Helland's fit of the Planckian locus in sRGB),
 * linear and relative to 6500 K, so daylight is [1, 1, 1], a 3000 K lamp orange, 8000 K blue.
 */
export function colorTemperatureRgb(kelvin: number): Rgb {
  if (!(kelvin >= 1000 && kelvin <= 40000)) {
    throw new RangeError(`colour temperature must be in 1000–40000 K, got ${kelvin}`);
  }
  const srgb = (k: number): Rgb => {
    const t = k / 100;
    const r = t <= 66 ? 255 : 329.698727446 * Math.pow(t - 60, -0.1332047592);
    const g =
      t <= 66
        ? 99.4708025861 * Math.log(t) - 161.1195681661
        : 288.1221695283 * Math.pow(t - 60, -0.0755148492);
    const b = t >= 66 ? 255 : t <= 19 ? 0 : 138.5177312231 * Math.log(t - 10) - 305.0447927307;
    return [r, g, b].map((c) => {
      const x = Math.min(255, Math.max(0, c)) / 255;
      return x <= 0.04045 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    }) as Rgb;
  };
  const c = srgb(kelvin);
  const white = srgb(6500);
  return [c[0] / white[0], c[1] / white[1], c[2] / white[2]];
}

/** Ranges a randomised cell draws its light from (each uniform; `shadows` a probability). */
export interface LightingRanges {
  /** Key light angle from straight overhead, radians. */
  tilt: [number, number];
  intensity: [number, number];
  ambient: [number, number];
  /** Colour temperature, kelvin (see colorTemperatureRgb). */
  colorTemperature: [number, number];
  /** Probability that the frame casts shadows. */
  shadows: number;
}

/** Ceiling lamps over a work cell: within 40° of overhead, warm to cold white, shadows half the time. */
export const DEFAULT_LIGHTING_RANGES: Readonly<LightingRanges> = Object.freeze({
  tilt: [0, 0.7] as [number, number],
  intensity: [0.55, 0.9] as [number, number],
  ambient: [0.2, 0.4] as [number, number],
  colorTemperature: [3000, 7500] as [number, number],
  shadows: 0.5,
});

/** A light drawn from `ranges` (azimuth uniform), and whether it casts shadows. */
export function sampleLighting(
  rng: Rng,
  ranges: LightingRanges = DEFAULT_LIGHTING_RANGES,
): { lighting: Lighting; shadows: boolean } {
  for (const [key, [lo, hi]] of Object.entries({
    tilt: ranges.tilt,
    intensity: ranges.intensity,
    ambient: ranges.ambient,
    colorTemperature: ranges.colorTemperature,
  })) {
    if (!(lo <= hi)) throw new RangeError(`lighting ${key}: range [${lo}, ${hi}] is empty`);
  }
  if (!(ranges.tilt[0] >= 0 && ranges.tilt[1] < Math.PI / 2)) {
    throw new RangeError(`lighting tilt must lie in [0, 90°), got [${ranges.tilt.join(', ')}] rad`);
  }
  const tilt = rng.uniform(ranges.tilt[0], ranges.tilt[1]);
  const azimuth = rng.uniform(0, 2 * Math.PI);
  const intensity = rng.uniform(ranges.intensity[0], ranges.intensity[1]);
  const ambient = rng.uniform(ranges.ambient[0], ranges.ambient[1]);
  const color = colorTemperatureRgb(rng.uniform(ranges.colorTemperature[0], ranges.colorTemperature[1]));
  const shadows = rng.next() < ranges.shadows;
  return {
    lighting: {
      direction: {
        x: Math.sin(tilt) * Math.cos(azimuth),
        y: Math.sin(tilt) * Math.sin(azimuth),
        z: Math.cos(tilt),
      },
      intensity,
      ambient,
      color,
    },
    shadows,
  };
}

// Shadow rays start this far off the surface along its normal, so they never hit their own surface,
// and look this far towards the light (metres).
const SHADOW_OFFSET = 5e-4;
const SHADOW_REACH = 100;

/**
 * Shadow rays, culled in light space: every primitive's bounding sphere projects to a disc on the
 * plane perpendicular to the light, binned in a grid; a ray towards the light (parallel to it) can
 * only meet primitives whose disc covers its projected point, so it tests only its cell's list.
 */
export class ShadowTester {
  private readonly data: Float64Array;
  /** Per primitive: how far along the light its bounding sphere reaches (centre·l + radius). */
  private readonly reach: Float64Array;
  private readonly e1: [number, number, number];
  private readonly e2: [number, number, number];
  private readonly cells: Int32Array[];
  private readonly a0: number;
  private readonly b0: number;
  private readonly cell: number;
  private readonly nx: number;
  private readonly ny: number;

  constructor(
    set: PrimitiveSet,
    private readonly lx: number,
    private readonly ly: number,
    private readonly lz: number,
  ) {
    this.data = set.data;
    // Any unit vector not parallel to the light, then two axes perpendicular to it.
    const [hx, hy, hz] = Math.abs(lz) < 0.9 ? [0, 0, 1] : [1, 0, 0];
    let e1: [number, number, number] = [ly * hz - lz * hy, lz * hx - lx * hz, lx * hy - ly * hx];
    const n1 = Math.hypot(...e1);
    e1 = [e1[0] / n1, e1[1] / n1, e1[2] / n1];
    this.e1 = e1;
    this.e2 = [ly * e1[2] - lz * e1[1], lz * e1[0] - lx * e1[2], lx * e1[1] - ly * e1[0]];
    const d = set.data;
    const n = set.count;
    const a = new Float64Array(n);
    const b = new Float64Array(n);
    const radius = new Float64Array(n);
    this.reach = new Float64Array(n);
    let aMin = Infinity;
    let aMax = -Infinity;
    let bMin = Infinity;
    let bMax = -Infinity;
    for (let i = 0; i < n; i++) {
      const o = i * PRIMITIVE_STRIDE;
      const x = d[o + F_POS];
      const y = d[o + F_POS + 1];
      const z = d[o + F_POS + 2];
      a[i] = x * this.e1[0] + y * this.e1[1] + z * this.e1[2];
      b[i] = x * this.e2[0] + y * this.e2[1] + z * this.e2[2];
      radius[i] = d[o + F_RADIUS] * 1.0001 + 1e-6;
      this.reach[i] = x * lx + y * ly + z * lz + radius[i];
      aMin = Math.min(aMin, a[i] - radius[i]);
      aMax = Math.max(aMax, a[i] + radius[i]);
      bMin = Math.min(bMin, b[i] - radius[i]);
      bMax = Math.max(bMax, b[i] + radius[i]);
    }
    const grid = 48;
    this.cell = n > 0 ? Math.max(1e-3, Math.max(aMax - aMin, bMax - bMin) / grid) : 1;
    this.a0 = n > 0 ? aMin : 0;
    this.b0 = n > 0 ? bMin : 0;
    this.nx = n > 0 ? Math.max(1, Math.ceil((aMax - aMin) / this.cell)) : 0;
    this.ny = n > 0 ? Math.max(1, Math.ceil((bMax - bMin) / this.cell)) : 0;
    const lists: number[][] = Array.from({ length: this.nx * this.ny }, () => []);
    for (let i = 0; i < n; i++) {
      const i0 = Math.max(0, Math.floor((a[i] - radius[i] - this.a0) / this.cell));
      const i1 = Math.min(this.nx - 1, Math.floor((a[i] + radius[i] - this.a0) / this.cell));
      const j0 = Math.max(0, Math.floor((b[i] - radius[i] - this.b0) / this.cell));
      const j1 = Math.min(this.ny - 1, Math.floor((b[i] + radius[i] - this.b0) / this.cell));
      for (let j = j0; j <= j1; j++) for (let k = i0; k <= i1; k++) lists[j * this.nx + k].push(i);
    }
    this.cells = lists.map((l) => Int32Array.from(l));
  }

  /** Whether the ray from (x, y, z) towards the light meets any primitive. */
  occluded(x: number, y: number, z: number): boolean {
    const k = Math.floor((x * this.e1[0] + y * this.e1[1] + z * this.e1[2] - this.a0) / this.cell);
    const j = Math.floor((x * this.e2[0] + y * this.e2[1] + z * this.e2[2] - this.b0) / this.cell);
    if (k < 0 || j < 0 || k >= this.nx || j >= this.ny) return false;
    const list = this.cells[j * this.nx + k];
    // Only primitives reaching beyond the point along the light can shade it; any hit will do.
    const along = x * this.lx + y * this.ly + z * this.lz;
    for (let q = 0; q < list.length; q++) {
      const i = list[q];
      if (this.reach[i] <= along) continue;
      if (intersectWorld(this.data, i, x, y, z, this.lx, this.ly, this.lz) < SHADOW_REACH) return true;
    }
    return false;
  }
}

/**
 * Lambert shading × texture (procedural pattern, printed decal), one directional light plus
 * ambient; with `surface`: material looks (dark albedo, Blinn–Phong highlights, transparency) and
 * cast shadows.
 */
export function shadeColor(
  set: PrimitiveSet,
  camera: Camera,
  pass: PrimaryPass,
  lighting: Lighting,
  jitter: ColorJitter,
  surface?: SurfaceOptions,
): Uint8Array {
  const { width, height, local } = pass;
  const { fx, fy, cx, cy } = camera.intrinsics;
  const rgb = new Uint8Array(width * height * 3);
  const albedo = new Float64Array(3);
  const normal = new Float64Array(3);
  const light: Vec3 = lighting.direction;
  const ln = Math.hypot(light.x, light.y, light.z) || 1;
  const lx = light.x / ln;
  const ly = light.y / ln;
  const lz = light.z / ln;
  // The light direction in every primitive's frame: Lambert needs only the local normal then.
  const d = set.data;
  const localLight = new Float64Array(3 * set.count);
  for (let i = 0; i < set.count; i++) {
    const r = i * PRIMITIVE_STRIDE + F_ROT;
    localLight[3 * i] = d[r] * lx + d[r + 3] * ly + d[r + 6] * lz;
    localLight[3 * i + 1] = d[r + 1] * lx + d[r + 4] * ly + d[r + 7] * lz;
    localLight[3 * i + 2] = d[r + 2] * lx + d[r + 5] * ly + d[r + 8] * lz;
  }
  const rc = camera.worldFromCamera.rotation;
  const c = camera.worldFromCamera.translation;
  const { kind, params, origin, matrix } = local;
  const gain = jitter.gain;
  const lr = lighting.color[0] * gain[0];
  const lg = lighting.color[1] * gain[1];
  const lb = lighting.color[2] * gain[2];
  const tableShade = lighting.ambient + lighting.intensity * Math.max(0, lz);
  const noise = jitter.noiseSigma > 0 ? jitter.noise : null;
  const noiseSigma = jitter.noiseSigma;
  const offset = jitter.offset;
  const ambient = lighting.ambient;
  const intensity = lighting.intensity;
  const hits = pass.hit;
  const depths = pass.depth;
  const materials = set.materials;
  const codes = surface?.materialCodes ?? null;
  const prints = surface?.prints ?? null;
  const behind = surface?.behind ?? null;
  const caster = surface?.shadows ? new ShadowTester(set, lx, ly, lz) : null;
  const looks = MATERIAL_MODES.map((mode) => MATERIAL_LOOKS[mode]);
  for (let v = 0; v < height; v++) {
    const y = (v - cy) / fy;
    for (let u = 0; u < width; u++) {
      const pixel = v * width + u;
      const x = (u - cx) / fx;
      const h = hits[pixel];
      const t = depths[pixel];
      let r = 0.05;
      let g = 0.05;
      let b = 0.06;
      let opacity = 1;
      if (h === HIT_TABLE) {
        const wx = rc[0] * x * t + rc[1] * y * t + rc[2] * t + c.x;
        const wy = rc[3] * x * t + rc[4] * y * t + rc[5] * t + c.y;
        sampleTexture(materials, MATERIAL_TABLE, wx, wy, 0, albedo);
        const print = prints ? prints[MATERIAL_TABLE] : null;
        if (print) samplePrint(print, wx, wy, 0, 0, 0, 1, albedo);
        let shade = tableShade;
        if (caster && lz > 0) {
          const wz = rc[6] * x * t + rc[7] * y * t + rc[8] * t + c.z;
          if (caster.occluded(wx, wy, wz + SHADOW_OFFSET)) shade = ambient;
        }
        if (codes && codes[MATERIAL_TABLE] !== MATTE) {
          const look = looks[codes[MATERIAL_TABLE]];
          shade *= look.albedoScale;
        }
        r = albedo[0] * shade * lr + offset;
        g = albedo[1] * shade * lg + offset;
        b = albedo[2] * shade * lb + offset;
      } else if (h >= 0) {
        const m = 9 * h;
        const p = 3 * h;
        // Local ray; local hit point = local camera origin + t · local ray.
        const rx = matrix[m] * x + matrix[m + 1] * y + matrix[m + 2];
        const ry = matrix[m + 3] * x + matrix[m + 4] * y + matrix[m + 5];
        const rz = matrix[m + 6] * x + matrix[m + 7] * y + matrix[m + 8];
        const px = origin[p] + t * rx;
        const py = origin[p + 1] + t * ry;
        const pz = origin[p + 2] + t * rz;
        localNormal(kind[h], params[p], params[p + 1], params[p + 2], px, py, pz, normal);
        // Texture in body coordinates: the pattern moves with the object.
        const o = h * PRIMITIVE_STRIDE;
        const material = d[o + F_MATERIAL];
        const bx = px + d[o + F_OFFSET];
        const by = py + d[o + F_OFFSET + 1];
        const bz = pz + d[o + F_OFFSET + 2];
        sampleTexture(materials, material, bx, by, bz, albedo);
        const print = prints ? prints[material] : null;
        // Primitive frames are body frames shifted by the part offset: the local normal is the body's.
        if (print) samplePrint(print, bx, by, bz, normal[0], normal[1], normal[2], albedo);
        const lambert =
          normal[0] * localLight[p] + normal[1] * localLight[p + 1] + normal[2] * localLight[p + 2];
        let lit = lambert > 0;
        if (caster && lit) {
          const r0 = o + F_ROT;
          const wx = d[r0] * px + d[r0 + 1] * py + d[r0 + 2] * pz + d[o + F_POS];
          const wy = d[r0 + 3] * px + d[r0 + 4] * py + d[r0 + 5] * pz + d[o + F_POS + 1];
          const wz = d[r0 + 6] * px + d[r0 + 7] * py + d[r0 + 8] * pz + d[o + F_POS + 2];
          const nx = d[r0] * normal[0] + d[r0 + 1] * normal[1] + d[r0 + 2] * normal[2];
          const ny = d[r0 + 3] * normal[0] + d[r0 + 4] * normal[1] + d[r0 + 5] * normal[2];
          const nz = d[r0 + 6] * normal[0] + d[r0 + 7] * normal[1] + d[r0 + 8] * normal[2];
          const ox = wx + SHADOW_OFFSET * nx;
          const oy = wy + SHADOW_OFFSET * ny;
          const oz = wz + SHADOW_OFFSET * nz;
          if (caster.occluded(ox, oy, oz)) lit = false;
        }
        let shade = ambient + intensity * (lit ? lambert : 0);
        let highlight = 0;
        const code = codes ? codes[material] : MATTE;
        if (code !== MATTE) {
          const look = looks[code];
          shade *= look.albedoScale;
          opacity = look.opacity;
          if (lit && look.specular > 0) {
            // Blinn–Phong: half vector between the light and the direction back to the camera.
            const rn = Math.hypot(rx, ry, rz);
            let hx = localLight[p] - rx / rn;
            let hy = localLight[p + 1] - ry / rn;
            let hz = localLight[p + 2] - rz / rn;
            const hn = Math.hypot(hx, hy, hz) || 1;
            hx /= hn;
            hy /= hn;
            hz /= hn;
            const nh = normal[0] * hx + normal[1] * hy + normal[2] * hz;
            if (nh > 0) highlight = intensity * look.specular * Math.pow(nh, look.shininess);
          }
        }
        r = albedo[0] * shade * lr + highlight * lr + offset;
        g = albedo[1] * shade * lg + highlight * lg + offset;
        b = albedo[2] * shade * lb + highlight * lb + offset;
      }
      let R = toSrgbByte(r);
      let G = toSrgbByte(g);
      let B = toSrgbByte(b);
      if (behind && opacity < 1) {
        R = Math.round(opacity * R + (1 - opacity) * behind[3 * pixel]);
        G = Math.round(opacity * G + (1 - opacity) * behind[3 * pixel + 1]);
        B = Math.round(opacity * B + (1 - opacity) * behind[3 * pixel + 2]);
      }
      if (noise) {
        R = Math.min(255, Math.max(0, Math.round(R + noiseSigma * noise.normal())));
        G = Math.min(255, Math.max(0, Math.round(G + noiseSigma * noise.normal())));
        B = Math.min(255, Math.max(0, Math.round(B + noiseSigma * noise.normal())));
      }
      rgb[3 * pixel] = R;
      rgb[3 * pixel + 1] = G;
      rgb[3 * pixel + 2] = B;
    }
  }
  return rgb;
}
