// Procedural solid textures: evaluated at a body-fixed 3D point, so patterns stick to the object
// as it moves and need no UV mapping of the analytic shapes.
import * as fs from 'node:fs';
import { cv, type Mat } from '../image';
import { matBytes } from '../image/opencv';
import { mix32, type Rng } from './random';
import { MATERIAL_STRIDE } from './raycast';
import { type Rgb } from './scene';

const STRIPES = 1;
const CHECKER = 2;
const DOTS = 3;
const NOISE = 4;

// Perlin-style permutation table: a lattice hash in three table lookups.
const PERMUTATION = (() => {
  const p = new Uint8Array(512);
  for (let i = 0; i < 256; i++) p[i] = mix32(i + 1) & 255;
  for (let i = 0; i < 256; i++) p[256 + i] = p[i];
  return p;
})();
const LATTICE = (() => {
  const values = new Float64Array(256);
  for (let i = 0; i < 256; i++) values[i] = (mix32(i ^ 0x5bd1e995) & 0xffff) / 0xffff;
  return values;
})();

function latticeValue(ix: number, iy: number, iz: number): number {
  return LATTICE[PERMUTATION[PERMUTATION[PERMUTATION[ix & 255] + (iy & 255)] + (iz & 255)]];
}

/** Smooth value noise in [0, 1]. */
function valueNoise(x: number, y: number, z: number): number {
  const ix = Math.floor(x);
  const iy = Math.floor(y);
  const iz = Math.floor(z);
  const fx = x - ix;
  const fy = y - iy;
  const fz = z - iz;
  const sx = fx * fx * (3 - 2 * fx);
  const sy = fy * fy * (3 - 2 * fy);
  const sz = fz * fz * (3 - 2 * fz);
  const lerp = (a: number, b: number, t: number): number => a + (b - a) * t;
  const x00 = lerp(latticeValue(ix, iy, iz), latticeValue(ix + 1, iy, iz), sx);
  const x10 = lerp(latticeValue(ix, iy + 1, iz), latticeValue(ix + 1, iy + 1, iz), sx);
  const x01 = lerp(latticeValue(ix, iy, iz + 1), latticeValue(ix + 1, iy, iz + 1), sx);
  const x11 = lerp(latticeValue(ix, iy + 1, iz + 1), latticeValue(ix + 1, iy + 1, iz + 1), sx);
  return lerp(lerp(x00, x10, sy), lerp(x01, x11, sy), sz);
}

/** Fraction of the secondary colour at body point (x, y, z) for material `m`. */
function secondaryWeight(pattern: number, scale: number, x: number, y: number, z: number): number {
  const u = x / scale;
  const v = y / scale;
  const w = z / scale;
  switch (pattern) {
    case STRIPES:
      return Math.floor(u + 0.6 * v + 0.3 * w) & 1;
    case CHECKER:
      return (Math.floor(u) + Math.floor(v) + Math.floor(w)) & 1;
    case DOTS: {
      const du = u - Math.round(u);
      const dv = v - Math.round(v);
      const dw = w - Math.round(w);
      return du * du + dv * dv + dw * dw < 0.09 ? 1 : 0;
    }
    case NOISE:
      return valueNoise(u, v, w);
    default:
      return 0;
  }
}

/** Linear albedo of material `material` at body point (x, y, z), written to out[0..2]. */
export function sampleTexture(
  materials: Float64Array,
  material: number,
  x: number,
  y: number,
  z: number,
  out: Float64Array,
): void {
  const o = material * MATERIAL_STRIDE;
  const k = secondaryWeight(materials[o], materials[o + 1], x, y, z);
  out[0] = materials[o + 2] + (materials[o + 5] - materials[o + 2]) * k;
  out[1] = materials[o + 3] + (materials[o + 6] - materials[o + 3]) * k;
  out[2] = materials[o + 4] + (materials[o + 7] - materials[o + 4]) * k;
}

// ---- printed decals: labels with text and a barcode, or photographs -------------------------------
// Packaging prints are 2-D: a decal is mapped by projecting the body point along the body axis the
// surface faces most (a box face exactly, a can's side stretched at its flanks) and tiled with gaps.

/** A printed label: paper, lines of text in OpenCV's Hershey fonts, an optional barcode. */
export interface LabelPrint {
  kind: 'label';
  /** Lines of text, top to bottom (printable ASCII; Hershey fonts have no other glyphs). */
  lines: string[];
  /** Width and height of one print, metres. */
  size: [number, number];
  /** Linear colours. */
  paper: Rgb;
  ink: Rgb;
  /** Bars drawn from this seed under the text; absent: no barcode. */
  barcodeSeed?: number;
  /** Hershey font index 0–7 (cv.FONT_HERSHEY_SIMPLEX = 0 …); default 0. */
  font?: number;
}

/** A photograph (any image OpenCV reads) printed at `size` metres. */
export interface PhotoPrint {
  kind: 'photo';
  file: string;
  size: [number, number];
}

export type PrintedTexture = LabelPrint | PhotoPrint;

/** Gap between tiled prints, as a fraction of the print size. */
export const PRINT_GAP = 0.3;

/** A decoded print: linear RGB, row-major, 3 values per texel. */
export interface PrintRaster {
  width: number;
  height: number;
  rgb: Float32Array;
  /** Physical size of one print, metres. */
  size: [number, number];
}

const SRGB_TO_LINEAR = (() => {
  const table = new Float32Array(256);
  for (let i = 0; i < 256; i++) {
    const s = i / 255;
    table[i] = s <= 0.04045 ? s / 12.92 : Math.pow((s + 0.055) / 1.055, 2.4);
  }
  return table;
})();

function linearToByte(l: number): number {
  const s = l <= 0.0031308 ? 12.92 * l : 1.055 * Math.pow(l, 1 / 2.4) - 0.055;
  return Math.max(0, Math.min(255, Math.round(255 * s)));
}

const LABEL_TEXELS: [number, number] = [240, 160];

function checkSize(size: [number, number], what: string): void {
  if (!(size[0] > 0 && size[1] > 0 && size[0] < 10 && size[1] < 10)) {
    throw new RangeError(`${what}: size must be two lengths in (0, 10) metres, got [${size.join(', ')}]`);
  }
}

function rasterFromBgr(bgr: Uint8Array, width: number, height: number, size: [number, number]): PrintRaster {
  const rgb = new Float32Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb[3 * i] = SRGB_TO_LINEAR[bgr[3 * i + 2]];
    rgb[3 * i + 1] = SRGB_TO_LINEAR[bgr[3 * i + 1]];
    rgb[3 * i + 2] = SRGB_TO_LINEAR[bgr[3 * i]];
  }
  return { width, height, rgb, size };
}

function renderLabel(print: LabelPrint): PrintRaster {
  checkSize(print.size, 'label print');
  const c = cv();
  const [w, h] = LABEL_TEXELS;
  const bgrOf = (l: Rgb): InstanceType<typeof c.Vec3> =>
    new c.Vec3(linearToByte(l[2]), linearToByte(l[1]), linearToByte(l[0]));
  // setTo, not the fill argument of the constructor: that fills pixel by pixel in the binding (9 ms).
  const mat = new c.Mat(h, w, c.CV_8UC3);
  mat.setTo(bgrOf(print.paper));
  const font = print.font ?? 0;
  if (!Number.isInteger(font) || font < 0 || font > 7)
    throw new RangeError(`label print: font must be 0–7, got ${font}`);
  const textBottom = print.barcodeSeed === undefined ? h : Math.round(h * 0.62);
  const lines = print.lines.slice(0, 4);
  const lineHeight = lines.length > 0 ? (textBottom - 8) / lines.length : 0;
  lines.forEach((line, k) => {
    const text = line.replace(/[^\x20-\x7e]/g, '?').slice(0, 24);
    // Fit the line's width: Hershey glyphs are about 22 px wide at scale 1.
    const scale = Math.min(lineHeight / 34, (w - 12) / Math.max(1, 22 * text.length));
    const thickness = Math.max(1, Math.round(scale * 2.2));
    mat.putText(
      text,
      new c.Point2(6, Math.round(6 + (k + 0.8) * lineHeight)),
      font,
      scale,
      bgrOf(print.ink),
      thickness,
      c.LINE_AA,
    );
  });
  const bgr = new Uint8Array(mat.getData());
  if (print.barcodeSeed !== undefined) {
    // EAN-like bars: 60 modules of random black and white, quiet zones at both ends.
    const bars = new Uint8Array(60);
    let state = mix32(print.barcodeSeed >>> 0);
    for (let k = 0; k < bars.length; k++) {
      state = mix32(state + k);
      bars[k] = k < 3 || k >= 57 ? k & 1 : state & 1;
    }
    const ink = [linearToByte(print.ink[2]), linearToByte(print.ink[1]), linearToByte(print.ink[0])];
    const x0 = 12;
    const module = (w - 2 * x0) / bars.length;
    for (let y = textBottom + 4; y < h - 8; y++) {
      for (let x = x0; x < w - x0; x++) {
        if (!bars[Math.floor((x - x0) / module)]) continue;
        const p = 3 * (y * w + x);
        bgr[p] = ink[0];
        bgr[p + 1] = ink[1];
        bgr[p + 2] = ink[2];
      }
    }
  }
  return rasterFromBgr(bgr, w, h, print.size);
}

const PHOTO_MAX_TEXELS = 256;

function loadPhoto(print: PhotoPrint): PrintRaster {
  checkSize(print.size, `${print.file}: photo print`);
  if (!fs.existsSync(print.file)) throw new Error(`${print.file}: photo texture: no such file`);
  const c = cv();
  let mat: Mat;
  try {
    mat = c.imread(print.file, c.IMREAD_COLOR);
  } catch (error) {
    throw new Error(
      `${print.file}: photo texture: not an image OpenCV can read (${(error as Error).message})`,
      { cause: error },
    );
  }
  if (mat.empty) throw new Error(`${print.file}: photo texture: not an image OpenCV can read`);
  const scale = Math.min(1, PHOTO_MAX_TEXELS / Math.max(mat.cols, mat.rows));
  const small =
    scale < 1
      ? mat.resize(
          Math.max(1, Math.round(mat.rows * scale)),
          Math.max(1, Math.round(mat.cols * scale)),
          0,
          0,
          c.INTER_AREA,
        )
      : mat;
  return rasterFromBgr(new Uint8Array(matBytes(small)), small.cols, small.rows, print.size);
}

const RASTERS = new Map<string, PrintRaster>();
/** Most recently used prints kept (a label raster is 460 kB; every scene draws new labels). */
const RASTER_CACHE_SIZE = 64;

/** The decoded print (cached: a print used again, like a photo, is decoded once per process). */
export function printRaster(print: PrintedTexture): PrintRaster {
  const key = JSON.stringify(print);
  let raster = RASTERS.get(key);
  if (raster) {
    RASTERS.delete(key);
  } else {
    raster = print.kind === 'label' ? renderLabel(print) : loadPhoto(print);
    if (RASTERS.size >= RASTER_CACHE_SIZE) RASTERS.delete(RASTERS.keys().next().value as string);
  }
  RASTERS.set(key, raster);
  return raster;
}

/**
 * Linear colour of `raster` at body point p seen with body normal n, into out[0..2]; false where the
 * point falls in the gap between prints (the base pattern shows).
 */
export function samplePrint(
  raster: PrintRaster,
  px: number,
  py: number,
  pz: number,
  nx: number,
  ny: number,
  nz: number,
  out: Float64Array,
): boolean {
  const ax = Math.abs(nx);
  const ay = Math.abs(ny);
  const az = Math.abs(nz);
  // Face coordinates (s right, t down) as seen from outside the face, so text never reads mirrored.
  let s: number;
  let t: number;
  if (az >= ax && az >= ay) {
    s = nz > 0 ? px : -px;
    t = -py;
  } else if (ax >= ay) {
    s = nx > 0 ? py : -py;
    t = -pz;
  } else {
    s = ny > 0 ? -px : px;
    t = -pz;
  }
  const periodS = raster.size[0] * (1 + PRINT_GAP);
  const periodT = raster.size[1] * (1 + PRINT_GAP);
  // Tile coordinates in [0, 1) with the print centred on the body origin.
  let fs = s / periodS + 0.5;
  let ft = t / periodT + 0.5;
  fs -= Math.floor(fs);
  ft -= Math.floor(ft);
  const margin = PRINT_GAP / (2 * (1 + PRINT_GAP));
  const inner = 1 - 2 * margin;
  const us = (fs - margin) / inner;
  const ut = (ft - margin) / inner;
  if (us < 0 || us >= 1 || ut < 0 || ut >= 1) return false;
  const x = Math.min(raster.width - 1, Math.floor(us * raster.width));
  const y = Math.min(raster.height - 1, Math.floor(ut * raster.height));
  const k = 3 * (y * raster.width + x);
  out[0] = raster.rgb[k];
  out[1] = raster.rgb[k + 1];
  out[2] = raster.rgb[k + 2];
  return true;
}

/**
 * Photographs shipped by Debian's python3-skimage (scikit-image's sample data: NASA's astronaut,
 * rocket and Hubble field, a cat, coffee, a motorcycle, brick, grass and gravel). Only the files are
 * needed: `apt-get download python3-skimage` and `dpkg-deb -x` give them without Python.
 */
export const SKIMAGE_DATA_DIR = '/usr/lib/python3/dist-packages/skimage/data';
export const SKIMAGE_PHOTOS: readonly string[] = [
  'astronaut.png',
  'chelsea.png',
  'coffee.png',
  'rocket.jpg',
  'motorcycle_left.png',
  'hubble_deep_field.jpg',
  'brick.png',
  'grass.png',
  'gravel.png',
];

/** The SKIMAGE_PHOTOS present under `dir`, in that order (none when the package is absent). */
export function packagedPhotos(dir: string = SKIMAGE_DATA_DIR): string[] {
  return SKIMAGE_PHOTOS.map((name) => `${dir}/${name}`).filter((file) => fs.existsSync(file));
}

const LABEL_WORDS = [
  'FRAGILE',
  'HANDLE WITH CARE',
  'THIS SIDE UP',
  'NET 250 g',
  'NET WT 1 kg',
  'LOT 4821-B',
  'BEST BEFORE',
  'SKU 100-372',
  'MADE IN EU',
  'KEEP DRY',
  'ORGANIC',
  'CEREAL',
  'COFFEE',
  'TEA',
  'PASTA',
  'SOAP',
  'BATTERIES',
  'SCREWS M4x12',
  'CABLE TIES',
  'GLOVES L',
  'FILTERS',
  'SPARE PARTS',
  'QTY 24',
  'REF 0042',
  'NEW',
  'XL',
];

/** A random print: usually a label with 1–3 lines and a barcode, or a photo when files are given. */
export function randomPrint(rng: Rng, options: { photos?: readonly string[] } = {}): PrintedTexture {
  const width = rng.uniform(0.03, 0.09);
  const size: [number, number] = [width, width * rng.uniform(0.45, 0.8)];
  if (options.photos && options.photos.length > 0 && rng.next() < 0.4) {
    return { kind: 'photo', file: rng.pick(options.photos), size };
  }
  const lines = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(LABEL_WORDS));
  const light = rng.uniform(0.6, 0.95);
  const warm = rng.uniform(-0.05, 0.05);
  const paper: Rgb = [light + warm, light, light - warm];
  const ink: Rgb =
    rng.next() < 0.6 ? [0.02, 0.02, 0.02] : [rng.uniform(0, 0.4), rng.uniform(0, 0.2), rng.uniform(0, 0.4)];
  const withBarcode = rng.next() < 0.6;
  return {
    kind: 'label',
    lines,
    size,
    paper,
    ink,
    ...(withBarcode ? { barcodeSeed: rng.int(1 << 30) } : {}),
    font: rng.pick([0, 1, 2, 3, 4, 6, 7]),
  };
}
