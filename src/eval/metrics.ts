// Evaluation metrics as pure functions on plain data: COCO-style AP (pycocotools' rules, one class),
// occlusion accuracy, segmentation confusion, MSE and percentiles. Definitions: docs/models.md#evaluation.

export interface Point {
  u: number;
  v: number;
}

export interface ApImage<D, G> {
  detections: D[];
  groundTruths: G[];
}

export interface ApOptions<D, G> {
  score: (d: D) => number;
  /** Like COCO's crowd regions: not counted, and a detection matched to one is neither TP nor FP. */
  ignore: (g: G) => boolean;
  /** A match needs similarity >= threshold (IoU for boxes and masks). */
  similarity: (d: D, g: G) => number;
  thresholds: readonly number[];
  /** Per image, highest scores first; default 100. */
  maxDetections?: number;
}

/** 0.50, 0.55, …, 0.95 (computed from integers: no float drift). */
export const COCO_IOU_THRESHOLDS: readonly number[] = Array.from(
  { length: 10 },
  (_, i) => (50 + 5 * i) / 100,
);
const RECALL_POINTS = Array.from({ length: 101 }, (_, i) => i / 100);

/** Indices of `items` sorted by descending key, stable (pycocotools uses a mergesort). */
function byDescending<T>(items: readonly T[], key: (t: T) => number): number[] {
  return items
    .map((t, i) => ({ k: key(t), i }))
    .sort((a, b) => b.k - a.k || a.i - b.i)
    .map((x) => x.i);
}

interface Matched {
  score: number;
  tp: boolean;
  ignored: boolean;
}

/** Greedy matching of one image at one threshold (pycocotools' evaluateImg). */
function matchImage<D, G>(
  img: ApImage<D, G>,
  o: ApOptions<D, G>,
  threshold: number,
  dets: number[],
): Matched[] {
  const gts = img.groundTruths;
  // Non-ignored ground truths first, as pycocotools sorts them: ignored ones are matched only as a fallback.
  const order = byDescending(gts, (g) => (o.ignore(g) ? 0 : 1));
  const taken = new Array<boolean>(gts.length).fill(false);
  return dets.map((di) => {
    const d = img.detections[di];
    let best = -1;
    let bestSim = Math.min(threshold, 1 - 1e-10);
    for (const gi of order) {
      if (taken[gi]) continue;
      const ignored = o.ignore(gts[gi]);
      // Once a real match is found, stop before the ignored ground truths.
      if (best >= 0 && !o.ignore(gts[best]) && ignored) break;
      const s = o.similarity(d, gts[gi]);
      if (s < bestSim) continue;
      bestSim = s;
      best = gi;
    }
    if (best < 0) return { score: o.score(d), tp: false, ignored: false };
    const ignored = o.ignore(gts[best]);
    // pycocotools marks an ignored ground truth as matched too (iscrowd keeps it open; ours are not crowds).
    taken[best] = true;
    return { score: o.score(d), tp: !ignored, ignored };
  });
}

/**
 * COCO average precision for one class: mean over thresholds of the 101-point interpolated precision.
 * NaN when there is no non-ignored ground truth at all.
 */
export function averagePrecision<D, G>(images: ApImage<D, G>[], o: ApOptions<D, G>): number {
  const maxDets = o.maxDetections ?? 100;
  const positives = images.reduce((n, img) => n + img.groundTruths.filter((g) => !o.ignore(g)).length, 0);
  if (positives === 0) return NaN;
  const kept = images.map((img) => byDescending(img.detections, o.score).slice(0, maxDets));
  let sum = 0;
  for (const t of o.thresholds) {
    const all: Matched[] = [];
    images.forEach((img, i) => all.push(...matchImage(img, o, t, kept[i])));
    const order = byDescending(all, (m) => m.score).filter((i) => !all[i].ignored);
    const precision: number[] = [];
    const recall: number[] = [];
    let tp = 0;
    let fp = 0;
    for (const i of order) {
      if (all[i].tp) tp++;
      else fp++;
      precision.push(tp / (tp + fp));
      recall.push(tp / positives);
    }
    for (let i = precision.length - 2; i >= 0; i--) precision[i] = Math.max(precision[i], precision[i + 1]);
    let ap = 0;
    for (const r of RECALL_POINTS) {
      // np.searchsorted(recall, r, side='left')
      let lo = 0;
      let hi = recall.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (recall[mid] < r) lo = mid + 1;
        else hi = mid;
      }
      ap += lo < precision.length ? precision[lo] : 0;
    }
    sum += ap / RECALL_POINTS.length;
  }
  return sum / o.thresholds.length;
}

/**
 * Centre-of-mass similarity: max(0, 1 − distance / scale), scale = the object's size (√ amodal box area).
 * With COCO_IOU_THRESHOLDS a detection counts at distances from 0.5 down to 0.05 of the object's size.
 */
export function centreOfMassSimilarity(pred: Point, truth: Point, scale: number): number {
  if (!(scale > 0)) return 0;
  return Math.max(0, 1 - Math.hypot(pred.u - truth.u, pred.v - truth.v) / scale);
}

/** Accuracy of a per-instance flag over detections greedily matched (by score) to ground truths. */
export function occlusionAccuracy<D, G>(
  images: ApImage<D, G>[],
  o: {
    score: (d: D) => number;
    ignore: (g: G) => boolean;
    similarity: (d: D, g: G) => number;
    threshold: number;
    predicted: (d: D) => boolean;
    truth: (g: G) => boolean;
  },
): { accuracy: number; matched: number } {
  let matched = 0;
  let correct = 0;
  for (const img of images) {
    const taken = new Array<boolean>(img.groundTruths.length).fill(false);
    for (const di of byDescending(img.detections, o.score)) {
      const d = img.detections[di];
      let best = -1;
      let bestSim = o.threshold;
      img.groundTruths.forEach((g, gi) => {
        if (taken[gi] || o.ignore(g)) return;
        const s = o.similarity(d, g);
        if (s >= bestSim) {
          bestSim = s;
          best = gi;
        }
      });
      if (best < 0) continue;
      taken[best] = true;
      matched++;
      if (o.predicted(d) === o.truth(img.groundTruths[best])) correct++;
    }
  }
  return { accuracy: matched > 0 ? correct / matched : NaN, matched };
}

/** Pixel confusion matrix of a semantic segmentation (rows: truth, columns: prediction). */
export class ConfusionMatrix {
  private readonly counts: Float64Array;

  constructor(readonly numClasses: number) {
    this.counts = new Float64Array(numClasses * numClasses);
  }

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
      if (t >= n || p >= n) throw new Error(`class id ${Math.max(t, p)} is not below ${n} classes`);
      this.counts[t * n + p]++;
    }
  }

  pixelAccuracy(): number {
    let correct = 0;
    let total = 0;
    for (let c = 0; c < this.numClasses; c++) correct += this.counts[c * this.numClasses + c];
    for (const v of this.counts) total += v;
    return total > 0 ? correct / total : NaN;
  }

  /** IoU per class; NaN where the class is in neither the truth nor the prediction. */
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

  /** Mean IoU over the classes with a non-empty union. */
  meanIoU(): number {
    const v = this.iouPerClass().filter((x) => !Number.isNaN(x));
    return v.length > 0 ? v.reduce((a, b) => a + b, 0) / v.length : NaN;
  }
}

export function meanSquaredError(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`MSE of arrays of ${a.length} and ${b.length} values`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - b[i]) ** 2;
  return a.length > 0 ? s / a.length : NaN;
}

/** numpy's default percentile (linear interpolation between closest ranks). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of no values');
  const s = [...values].sort((a, b) => a - b);
  const pos = (p / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}
