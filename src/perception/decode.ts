// Decode stage: the perception model's raw outputs to instances (amodal box, visible and amodal masks,
// occlusion), centre-of-mass points and the suction heatmap, all at the model's input resolution.
// The contract (output names, strides, prototype masks) is docs/models.md; parameters come from the
// manifest's `decoding` section and may be overridden by a node's parameters.
import { type DecodingParams, type ModelManifest, outputShape } from '../models/manifest';
import { columnTaps, rowInterpolator } from './bilinear-rows';

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

export interface BinaryMask {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface DecodedInstance {
  /** Centre-heatmap score in [0, 1]. */
  score: number;
  /** Output cell of its centre peak (row-major at the output stride): where its mask coefficients are. */
  cell: number;
  /** Amodal box, continuous input-pixel coordinates (pixel u covers [u, u+1)). */
  box: Box;
  visibleMask: BinaryMask;
  amodalMask: BinaryMask;
  visibleArea: number;
  amodalArea: number;
  occlusionScore: number;
  occluded: boolean;
}

export interface CentreOfMassPoint {
  /** Pixel coordinates (OpenCV convention: integers are pixel centres). */
  u: number;
  v: number;
  score: number;
}

export interface PerceptionResult {
  width: number;
  height: number;
  instances: DecodedInstance[];
  centresOfMass: CentreOfMassPoint[];
  /** Suction seal score per input pixel, row-major. */
  suction: Float32Array;
  /** Centre-of-mass heatmap at the output stride (for viewing). */
  comHeatmap: { width: number; height: number; data: Float32Array };
}

interface Peak {
  x: number;
  y: number;
  score: number;
}

/** Local maxima (k x k window) of a heatmap at or above `threshold`, best first, at most `max`. */
export function heatmapPeaks(
  heat: Float32Array,
  width: number,
  height: number,
  threshold: number,
  max: number,
  kernel = 3,
): Peak[] {
  const r = Math.floor(kernel / 2);
  const peaks: Peak[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v = heat[y * width + x];
      if (v < threshold) continue;
      let isMax = true;
      for (let dy = -r; dy <= r && isMax; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= height) continue;
        for (let dx = -r; dx <= r; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= width || (dx === 0 && dy === 0)) continue;
          const w = heat[yy * width + xx];
          // Ties go to the first cell in scan order, so a plateau yields one peak.
          if (w > v || (w === v && (dy < 0 || (dy === 0 && dx < 0)))) {
            isMax = false;
            break;
          }
        }
      }
      if (isMax) peaks.push({ x, y, score: v });
    }
  }
  peaks.sort((a, b) => b.score - a.score);
  return peaks.slice(0, max);
}

/** Sub-cell offset of a peak by a parabola through its neighbours (clamped to +-0.5). */
function refine(heat: Float32Array, width: number, height: number, x: number, y: number): [number, number] {
  const at = (xx: number, yy: number) =>
    heat[Math.min(height - 1, Math.max(0, yy)) * width + Math.min(width - 1, Math.max(0, xx))];
  const c = at(x, y);
  const fit = (m: number, p: number) => {
    const den = m - 2 * c + p;
    return den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (m - p)) / den)) : 0;
  };
  return [fit(at(x - 1, y), at(x + 1, y)), fit(at(x, y - 1), at(x, y + 1))];
}

/** IoU of two boxes; 0 for empty, inverted or NaN boxes. */
export function boxIoU(a: Box, b: Box): number {
  const aw = a.x1 - a.x0;
  const ah = a.y1 - a.y0;
  const bw = b.x1 - b.x0;
  const bh = b.y1 - b.y0;
  // `!(x > 0)` also rejects NaN.
  if (!(aw > 0 && ah > 0 && bw > 0 && bh > 0)) return 0;
  const iw = Math.min(a.x1, b.x1) - Math.max(a.x0, b.x0);
  const ih = Math.min(a.y1, b.y1) - Math.max(a.y0, b.y0);
  if (!(iw > 0 && ih > 0)) return 0;
  const inter = iw * ih;
  const union = aw * ah + bw * bh - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Where a mask is sampled: output pixel (u, v) of the crop [x0, x0+width) x [y0, y0+height) sits at network
 * pixel x = padX + (u + 0.5) · scaleX (continuous), likewise y. Identity (scale 1, pad 0) at the network's
 * own resolution; the input transform's for camera pixels.
 */
export interface MaskView {
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  x0: number;
  y0: number;
  width: number;
  height: number;
}

/** Prototype planes and this instance's coefficients (one mask kind: visible or amodal). */
export interface MaskSource {
  coeffs: Float32Array;
  protos: Float32Array;
  /** Coefficient cell of the instance (its centre peak) and the number of cells per coefficient plane. */
  cell: number;
  cells: number;
  k: number;
  pw: number;
  ph: number;
  /** Prototype stride in network pixels. */
  ps: number;
}

/**
 * One instance mask over a crop: logits = coeffs . protos on the prototype grid, sampled bilinearly at
 * each output pixel's centre (half-pixel centres, as the training's upsampling), then thresholded:
 * mask = logit >= logit(threshold). Logits, not binary masks, are upsampled, so a camera-resolution
 * mask follows the object's edge instead of showing the prototype grid's blocks.
 */
export function sampleMask(
  src: MaskSource,
  view: MaskView,
  threshold: number,
): { data: Uint8Array; area: number } {
  const { width, height } = view;
  const data = new Uint8Array(width * height);
  if (width <= 0 || height <= 0) return { data, area: 0 };
  const { pw, ph, ps, k } = src;
  // Prototype coordinate of the crop's first and last pixel centres, per axis.
  const gxOf = (u: number) => (view.padX + (u + 0.5) * view.scaleX) / ps - 0.5;
  const gyOf = (v: number) => (view.padY + (v + 0.5) * view.scaleY) / ps - 0.5;
  // Prototype-grid window covering the crop (one cell margin for interpolation).
  const gx0 = Math.max(0, Math.min(pw - 1, Math.floor(gxOf(view.x0))));
  const gx1 = Math.max(gx0, Math.min(pw - 1, Math.ceil(gxOf(view.x0 + width - 1))));
  const gy0 = Math.max(0, Math.min(ph - 1, Math.floor(gyOf(view.y0))));
  const gy1 = Math.max(gy0, Math.min(ph - 1, Math.ceil(gyOf(view.y0 + height - 1))));
  const ww = gx1 - gx0 + 1;
  const logits = new Float32Array(ww * (gy1 - gy0 + 1));
  const c = new Float32Array(k);
  for (let j = 0; j < k; j++) c[j] = src.coeffs[j * src.cells + src.cell];
  const plane = pw * ph;
  for (let gy = gy0; gy <= gy1; gy++) {
    for (let gx = gx0; gx <= gx1; gx++) {
      let s = 0;
      const base = gy * pw + gx;
      for (let j = 0; j < k; j++) s += c[j] * src.protos[j * plane + base];
      logits[(gy - gy0) * ww + (gx - gx0)] = s;
    }
  }
  const taps = columnTaps(width, (i) => gxOf(view.x0 + i), gx0, gx1);
  const { rows, rowAt } = rowInterpolator(logits, ww, taps);
  const cut = Math.log(threshold / (1 - threshold));
  let area = 0;
  for (let j = 0; j < height; j++) {
    const fy = Math.min(gy1, Math.max(gy0, gyOf(view.y0 + j)));
    const y0 = Math.floor(fy);
    const y1 = Math.min(gy1, y0 + 1);
    const ty = fy - y0;
    const r0 = rowAt(y0 - gy0);
    const r1 = rowAt(y1 - gy0);
    const row = j * width;
    for (let i = 0; i < width; i++) {
      const top = rows[r0 + i];
      if (top + (rows[r1 + i] - top) * ty >= cut) {
        data[row + i] = 1;
        area++;
      }
    }
  }
  return { data, area };
}

/** One instance mask at input resolution (the crop of its amodal box, placed in a full-size mask). */
function instanceMask(
  src: MaskSource,
  box: Box,
  width: number,
  height: number,
  threshold: number,
): { mask: BinaryMask; area: number } {
  const data = new Uint8Array(width * height);
  const u0 = Math.max(0, Math.floor(box.x0));
  const u1 = Math.min(width, Math.ceil(box.x1));
  const v0 = Math.max(0, Math.floor(box.y0));
  const v1 = Math.min(height, Math.ceil(box.y1));
  if (u1 <= u0 || v1 <= v0) return { mask: { width, height, data }, area: 0 };
  const view = { scaleX: 1, scaleY: 1, padX: 0, padY: 0, x0: u0, y0: v0, width: u1 - u0, height: v1 - v0 };
  const crop = sampleMask(src, view, threshold);
  for (let j = 0; j < view.height; j++) {
    data.set(crop.data.subarray(j * view.width, (j + 1) * view.width), (v0 + j) * width + u0);
  }
  return { mask: { width, height, data }, area: crop.area };
}

/** The visible and amodal mask sources of a decoded instance. */
export function maskSources(
  m: ModelManifest,
  out: Readonly<Record<string, Float32Array>>,
  cell: number,
): { visible: MaskSource; amodal: MaskSource } {
  const [, , gh, gw] = outputShape(m, 'center_heatmap');
  const [, k, ph, pw] = outputShape(m, 'visible_protos');
  const common = { cell, cells: gh * gw, k, pw, ph, ps: m.decoding!.proto_stride };
  return {
    visible: { ...common, coeffs: out.visible_coeffs, protos: out.visible_protos },
    amodal: { ...common, coeffs: out.amodal_coeffs, protos: out.amodal_protos },
  };
}

/** Decodes one frame's outputs (batch 1) with the manifest's decoding parameters (optionally overridden). */
export function decodePerception(
  m: ModelManifest,
  out: Readonly<Record<string, Float32Array>>,
  overrides: Partial<DecodingParams> = {},
  options: { masks?: boolean } = {},
): PerceptionResult {
  if (!m.decoding) throw new Error(`${m.name} is not a perception model (no decoding section)`);
  const p: DecodingParams = { ...m.decoding, ...overrides };
  const [, , height, width] = m.input.shape;
  const [, , gh, gw] = outputShape(m, 'center_heatmap');
  const cells = gh * gw;
  // Camera-resolution callers sample masks themselves (pipeline.toCamera): skip the input-resolution ones.
  const withMasks = options.masks !== false;
  const empty = { mask: { width: 0, height: 0, data: new Uint8Array(0) }, area: 0 };
  const stride = p.stride;
  const peaks = heatmapPeaks(out.center_heatmap, gw, gh, p.score_threshold, p.max_instances, p.peak_kernel);
  const kept: DecodedInstance[] = [];
  for (const pk of peaks) {
    const cell = pk.y * gw + pk.x;
    const xc = (pk.x + 0.5) * stride;
    const yc = (pk.y + 0.5) * stride;
    const box: Box = {
      x0: Math.max(0, xc - out.box_ltrb[cell]),
      y0: Math.max(0, yc - out.box_ltrb[cells + cell]),
      x1: Math.min(width, xc + out.box_ltrb[2 * cells + cell]),
      y1: Math.min(height, yc + out.box_ltrb[3 * cells + cell]),
    };
    if (box.x1 <= box.x0 || box.y1 <= box.y0) continue;
    if (kept.some((q) => boxIoU(q.box, box) > p.nms_iou)) continue;
    const src = maskSources(m, out, cell);
    const vis = withMasks ? instanceMask(src.visible, box, width, height, p.mask_threshold) : empty;
    const amo = withMasks ? instanceMask(src.amodal, box, width, height, p.mask_threshold) : empty;
    const occlusionScore = out.occlusion[cell];
    kept.push({
      score: pk.score,
      cell,
      box,
      visibleMask: vis.mask,
      amodalMask: amo.mask,
      visibleArea: vis.area,
      amodalArea: amo.area,
      occlusionScore,
      occluded: occlusionScore >= p.occlusion_threshold,
    });
  }
  const comPeaks = heatmapPeaks(out.com_heatmap, gw, gh, p.com_threshold, p.max_instances, p.peak_kernel);
  const centresOfMass = comPeaks.map((pk) => {
    const [dx, dy] = refine(out.com_heatmap, gw, gh, pk.x, pk.y);
    return { u: (pk.x + 0.5 + dx) * stride - 0.5, v: (pk.y + 0.5 + dy) * stride - 0.5, score: pk.score };
  });
  return {
    width,
    height,
    instances: kept,
    centresOfMass,
    suction: out.suction,
    comHeatmap: { width: gw, height: gh, data: out.com_heatmap },
  };
}
