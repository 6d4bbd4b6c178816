// Evaluation metrics as pure functions on plain data (no I/O): box and mask IoU, COCO-style AP (pycocotools'
// rules, one class), occlusion accuracy, segmentation confusion, MSE and percentiles.
// Definitions: docs/models.md#evaluation.
import { type BinaryMask } from '../perception/decode';

export { type BinaryMask, type Box, boxIoU } from '../perception/decode';

export interface Point {
  u: number;
  v: number;
}

export function maskArea(m: BinaryMask): number {
  const d = m.data;
  let n = 0;
  for (let i = 0; i < d.length; i++) if (d[i] !== 0) n++;
  return n;
}

/**
 * Intersection over union of two same-size masks (any non-zero value counts as set); 0 when both are empty.
 * `areaA`/`areaB` (from maskArea) skip recounting a mask that is compared many times.
 * Throws when the sizes differ.
 */
export function maskIoU(a: BinaryMask, b: BinaryMask, areaA?: number, areaB?: number): number {
  const n = a.width * a.height;
  if (a.width !== b.width || a.height !== b.height || a.data.length !== n || b.data.length !== n) {
    throw new Error(
      `mask sizes differ: ${a.width}x${a.height} (${a.data.length} values) vs ${b.width}x${b.height} (${b.data.length} values)`,
    );
  }
  const da = a.data;
  const db = b.data;
  let inter = 0;
  let sa = 0;
  let sb = 0;
  if (areaA !== undefined && areaB !== undefined) {
    for (let i = 0; i < n; i++) if (da[i] !== 0 && db[i] !== 0) inter++;
    sa = areaA;
    sb = areaB;
  } else {
    for (let i = 0; i < n; i++) {
      const p = da[i] !== 0;
      const q = db[i] !== 0;
      if (p) sa++;
      if (q) sb++;
      if (p && q) inter++;
    }
    if (areaA !== undefined) sa = areaA;
    if (areaB !== undefined) sb = areaB;
  }
  const union = sa + sb - inter;
  return union > 0 ? inter / union : 0;
}

export interface ApImage<D, G> {
  detections: D[];
  groundTruths: G[];
}

export interface ApOptions<D, G> {
  score: (d: D) => number;
  /** Like COCO's iscrowd/ignore: not counted, and a detection matched to one is neither TP nor FP. */
  ignore: (g: G) => boolean;
  /** E.g. IoU; a match needs similarity >= threshold (NaN never matches). */
  similarity: (d: D, g: G) => number;
  /** E.g. COCO_IOU_THRESHOLDS. */
  thresholds: readonly number[];
  /** Per image, highest scores first; default 100. */
  maxDetections?: number;
}

/**
 * 0.50, 0.55, …, 0.95, computed from integers so that 0.9 is 0.9 (pycocotools' np.linspace gives
 * 0.8999999999999999 there; the difference only matters for a similarity within 1e-16 of 0.9).
 */
export const COCO_IOU_THRESHOLDS: readonly number[] = Object.freeze(
  Array.from({ length: 10 }, (_, i) => (50 + 5 * i) / 100),
);

/**
 * pycocotools' recall points np.linspace(0, 1, 101), bit for bit: i * 0.01 (not i / 100, which differs at
 * 10 points, e.g. 35 * 0.01 = 0.35000000000000003 > 0.35; that decides where a recall of exactly 0.35 lands).
 */
export const COCO_RECALL_POINTS: readonly number[] = Object.freeze(
  Array.from({ length: 101 }, (_, i) => (i === 100 ? 1 : i * 0.01)),
);

/** Indices of `items` sorted by descending key, stable (pycocotools' mergesort of the negated key). */
function byDescending<T>(items: readonly T[], key: (t: T) => number): number[] {
  return items
    .map((t, i) => ({ k: key(t), i }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .map((x) => x.i);
}

const FP = 0;
const TP = 1;
const IGNORED = 2;

/** One image as pycocotools' evaluateImg sees it: kept detections, ground truths ignored-last, similarities. */
interface PreparedImage {
  scores: number[];
  /** Per ground truth, in matching order (non-ignored first, stable). */
  ignored: boolean[];
  /** similarity[k * G + j]: kept detection k (by descending score) to ground truth j (matching order). */
  similarity: Float64Array;
}

function prepareImage<D, G>(img: ApImage<D, G>, o: ApOptions<D, G>, maxDets: number): PreparedImage {
  const kept = byDescending(img.detections, o.score).slice(0, maxDets);
  const flags = img.groundTruths.map((g) => o.ignore(g));
  const order = byDescending(flags, (f) => (f ? 0 : 1));
  const G = order.length;
  const similarity = new Float64Array(kept.length * G);
  kept.forEach((di, k) => {
    const d = img.detections[di];
    order.forEach((gi, j) => {
      similarity[k * G + j] = o.similarity(d, img.groundTruths[gi]);
    });
  });
  return {
    scores: kept.map((di) => o.score(img.detections[di])),
    ignored: order.map((gi) => flags[gi]),
    similarity,
  };
}

/** pycocotools' greedy matching of one image at one threshold; writes FP/TP/IGNORED per kept detection. */
function matchImage(img: PreparedImage, threshold: number, out: Uint8Array, offset: number): void {
  const G = img.ignored.length;
  const taken = new Uint8Array(G);
  const floor = Math.min(threshold, 1 - 1e-10);
  for (let k = 0; k < img.scores.length; k++) {
    let best = -1;
    let bestSim = floor;
    for (let j = 0; j < G; j++) {
      // Ours are never crowds: a matched ground truth (ignored or not) is closed.
      if (taken[j]) continue;
      // Matched to a regular ground truth: stop at the ignored ones (they come last).
      if (best >= 0 && !img.ignored[best] && img.ignored[j]) break;
      const s = img.similarity[k * G + j];
      if (!(s >= bestSim)) continue;
      bestSim = s;
      best = j;
    }
    if (best < 0) {
      out[offset + k] = FP;
    } else {
      taken[best] = 1;
      out[offset + k] = img.ignored[best] ? IGNORED : TP;
    }
  }
}

/**
 * COCO average precision for one class and area range "all", as pycocotools computes it: mean over
 * `thresholds` of the precision interpolated at the 101 recall points (COCO_RECALL_POINTS); a fraction in
 * [0, 1]. NaN when no image has a non-ignored ground truth (pycocotools reports -1 there).
 * Only deviation: precision is tp / (tp + fp), without pycocotools' + np.spacing(1) (a 1e-16 relative change).
 */
export function averagePrecision<D, G>(images: ApImage<D, G>[], opts: ApOptions<D, G>): number {
  const maxDets = opts.maxDetections ?? 100;
  if (!(maxDets >= 0)) throw new Error(`maxDetections must be >= 0, got ${maxDets}`);
  if (opts.thresholds.length === 0) throw new Error('averagePrecision needs at least one threshold');
  const prepared = images.map((img) => prepareImage(img, opts, maxDets));
  let positives = 0;
  for (const p of prepared) for (const ig of p.ignored) if (!ig) positives++;
  if (positives === 0) return NaN;

  // All images' kept detections, concatenated in image order, then stably sorted by descending score.
  const offsets: number[] = [];
  const allScores: number[] = [];
  for (const p of prepared) {
    offsets.push(allScores.length);
    allScores.push(...p.scores);
  }
  const order = byDescending(allScores, (s) => s);
  const state = new Uint8Array(allScores.length);
  const precision = new Float64Array(allScores.length);
  const recall = new Float64Array(allScores.length);

  let sum = 0;
  for (const t of opts.thresholds) {
    prepared.forEach((p, i) => matchImage(p, t, state, offsets[i]));
    // Ignored detections leave tp and fp unchanged: dropping them gives pycocotools' curve minus repeats.
    let n = 0;
    let tp = 0;
    let fp = 0;
    for (const i of order) {
      if (state[i] === IGNORED) continue;
      if (state[i] === TP) tp++;
      else fp++;
      precision[n] = tp / (tp + fp);
      recall[n] = tp / positives;
      n++;
    }
    for (let i = n - 2; i >= 0; i--) if (precision[i + 1] > precision[i]) precision[i] = precision[i + 1];
    // np.searchsorted(recall, points, side='left'): recall and the points both increase, so one sweep.
    let ap = 0;
    let at = 0;
    for (const r of COCO_RECALL_POINTS) {
      while (at < n && recall[at] < r) at++;
      if (at === n) break; // beyond the highest recall: precision 0
      ap += precision[at];
    }
    sum += ap / COCO_RECALL_POINTS.length;
  }
  return sum / opts.thresholds.length;
}

/**
 * Centre-of-mass similarity max(0, 1 − distance / scale), scale = the object's size (√ of its amodal box
 * area); 0 when scale <= 0. Used as the similarity of averagePrecision with COCO_IOU_THRESHOLDS, a prediction
 * hits at threshold t when distance <= (1 − t) · scale: from 0.5 down to 0.05 of the object's size.
 */
export function centreOfMassSimilarity(pred: Point, truth: Point, scale: number): number {
  if (!(scale > 0)) return 0;
  return Math.max(0, 1 - Math.hypot(pred.u - truth.u, pred.v - truth.v) / scale);
}

export interface OcclusionAccuracyOptions<D, G> {
  score: (d: D) => number;
  ignore: (g: G) => boolean;
  similarity: (d: D, g: G) => number;
  /** A match needs similarity >= threshold (0.5 in use). */
  threshold: number;
  predicted: (d: D) => boolean;
  truth: (g: G) => boolean;
}

/**
 * The detection/ground-truth pairs of greedy matching per image (descending score, best similarity >=
 * threshold, non-ignored ground truths only), as (predicted, truth) flags.
 */
function matchedFlags<D, G>(
  images: ApImage<D, G>[],
  opts: OcclusionAccuracyOptions<D, G>,
): { predicted: boolean; truth: boolean }[] {
  const pairs: { predicted: boolean; truth: boolean }[] = [];
  for (const img of images) {
    const gts = img.groundTruths;
    const closed = gts.map((g) => opts.ignore(g));
    for (const di of byDescending(img.detections, opts.score)) {
      const d = img.detections[di];
      let best = -1;
      let bestSim = opts.threshold;
      for (let gi = 0; gi < gts.length; gi++) {
        if (closed[gi]) continue;
        const s = opts.similarity(d, gts[gi]);
        if (!(s >= bestSim)) continue;
        bestSim = s;
        best = gi;
      }
      if (best < 0) continue;
      closed[best] = true;
      pairs.push({ predicted: opts.predicted(d), truth: opts.truth(gts[best]) });
    }
  }
  return pairs;
}

/**
 * Accuracy of a per-instance flag (occluded or not) over the detection/ground-truth pairs found by greedy
 * matching per image (descending score, best similarity >= threshold, non-ignored ground truths only);
 * NaN accuracy when nothing matched.
 */
export function occlusionAccuracy<D, G>(
  images: ApImage<D, G>[],
  opts: OcclusionAccuracyOptions<D, G>,
): { accuracy: number; matched: number } {
  const pairs = matchedFlags(images, opts);
  const correct = pairs.filter((p) => p.predicted === p.truth).length;
  return { accuracy: pairs.length > 0 ? correct / pairs.length : NaN, matched: pairs.length };
}

export interface FlagConfusion {
  matched: number;
  tp: number;
  fp: number;
  fn: number;
  tn: number;
  /** Mean of the recall of each class (true and false); NaN when a class has no matched object. */
  balancedAccuracy: number;
  /** F1 of the positive class (e.g. occluded): 2 tp / (2 tp + fp + fn); NaN when there are no positives at all. */
  f1: number;
}

/**
 * The confusion of a per-instance flag over the same matched pairs as occlusionAccuracy, with balanced
 * accuracy and the positive class's F1 (a constant answer scores 0.5 balanced accuracy; "never" scores F1 0).
 */
export function occlusionConfusion<D, G>(
  images: ApImage<D, G>[],
  opts: OcclusionAccuracyOptions<D, G>,
): FlagConfusion {
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const p of matchedFlags(images, opts)) {
    if (p.truth) {
      if (p.predicted) tp++;
      else fn++;
    } else if (p.predicted) fp++;
    else tn++;
  }
  const positives = tp + fn;
  const negatives = tn + fp;
  const balancedAccuracy = positives > 0 && negatives > 0 ? (tp / positives + tn / negatives) / 2 : NaN;
  const f1 = tp + fp + fn > 0 ? (2 * tp) / (2 * tp + fp + fn) : NaN;
  return { matched: tp + fp + fn + tn, tp, fp, fn, tn, balancedAccuracy, f1 };
}

/** Pixel confusion matrix of a semantic segmentation (rows: truth, columns: prediction), for mIoU. */
export class ConfusionMatrix {
  private readonly counts: Float64Array;

  constructor(readonly numClasses: number) {
    if (!Number.isInteger(numClasses) || numClasses < 1) {
      throw new Error(`a confusion matrix needs a positive whole number of classes, got ${numClasses}`);
    }
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /** Counts one label map pair; on an error nothing is counted. */
  add(truth: Uint8Array, predicted: Uint8Array): void {
    if (truth.length !== predicted.length) {
      throw new Error(
        `label maps differ in size: truth ${truth.length} pixels, prediction ${predicted.length}`,
      );
    }
    const n = this.numClasses;
    for (let i = 0; i < truth.length; i++) {
      const t = truth[i];
      const p = predicted[i];
      if (t >= n || p >= n) {
        for (let j = 0; j < i; j++) this.counts[truth[j] * n + predicted[j]]--;
        const what = t >= n ? `truth class id ${t}` : `predicted class id ${p}`;
        throw new Error(`${what} is not below ${n} classes (pixel ${i})`);
      }
      this.counts[t * n + p]++;
    }
  }

  /** Fraction of pixels labelled correctly; NaN before any pixel. */
  pixelAccuracy(): number {
    const n = this.numClasses;
    let correct = 0;
    let total = 0;
    for (let c = 0; c < n; c++) correct += this.counts[c * n + c];
    for (const v of this.counts) total += v;
    return total > 0 ? correct / total : NaN;
  }

  /** IoU per class; NaN where the class is in neither the truth nor the prediction (empty union). */
  iouPerClass(): number[] {
    const n = this.numClasses;
    return Array.from({ length: n }, (_, c) => {
      let row = 0;
      let col = 0;
      for (let k = 0; k < n; k++) {
        row += this.counts[c * n + k];
        col += this.counts[k * n + c];
      }
      const inter = this.counts[c * n + c];
      const union = row + col - inter;
      return union > 0 ? inter / union : NaN;
    });
  }

  /** Mean IoU over the classes with a non-empty union; NaN before any pixel. */
  meanIoU(): number {
    const v = this.iouPerClass().filter((x) => !Number.isNaN(x));
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  }
}

/** Mean squared difference of two equally long arrays (e.g. suction maps); NaN for empty ones. */
export function meanSquaredError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`MSE of arrays of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    s += d * d;
  }
  return a.length > 0 ? s / a.length : NaN;
}
