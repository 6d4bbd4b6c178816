// `grasp-perception eval perception`: a perception model on a dataset's held-out scenes, through the
// same preprocess and decode stages the nodes use. Metric definitions: docs/models.md#evaluation.
import { type Annotation } from '../dataset';
import { type BinaryMask, type Box, boxIoU, decodePerception } from '../perception/decode';
import {
  type EvalOptions,
  type EvaluatedModel,
  evaluatedModel,
  type ModelCost,
  modelCost,
  runEvaluation,
} from './run';
import {
  type ApImage,
  averagePrecision,
  centreOfMassSimilarity,
  COCO_IOU_THRESHOLDS,
  meanSquaredError,
  occlusionAccuracy,
} from './metrics';

export interface PerceptionMetrics extends EvaluatedModel, ModelCost {
  amodal_bbox_ap: number;
  visible_mask_ap: number;
  amodal_mask_ap: number;
  occlusion_accuracy: number;
  /** Occlusion accuracy of the trivial answer "not occluded" on the same matched objects. */
  occlusion_baseline: number;
  com_ap: number;
  suction_mse: number;
}

export type { EvalOptions } from './run';

/** COCO practice: decode nearly everything for AP (the node's deployment threshold would cut recall). */
export const EVAL_DECODING = { score_threshold: 0.01, com_threshold: 0.01, max_instances: 100 };

interface Det {
  score: number;
  occluded: boolean;
  /** Similarity to each ground truth of the image, by ground-truth index. */
  box: number[];
  visible: number[];
  amodal: number[];
}

interface Truth {
  index: number;
  ignore: boolean;
  occluded: boolean;
}

interface ComDet {
  score: number;
  sim: number[];
}

function annotationBox(a: Annotation): Box {
  const [x, y, w, h] = a.bbox;
  return { x0: x, y0: y, x1: x + w, y1: y + h };
}

/**
 * Mask IoU counted only inside the union of the two boxes: both masks are empty outside their own box
 * (decoded masks are cropped to it, ground-truth masks lie in the amodal box), so this is exact and
 * ~100x cheaper than a full-image pass.
 */
function maskIoUInBoxes(
  a: BinaryMask,
  aBox: Box,
  aArea: number,
  b: Uint8Array,
  bBox: Box,
  bArea: number,
): number {
  if (aArea === 0 && bArea === 0) return 0;
  const u0 = Math.max(0, Math.floor(Math.min(aBox.x0, bBox.x0)));
  const u1 = Math.min(a.width, Math.ceil(Math.max(aBox.x1, bBox.x1)));
  const v0 = Math.max(0, Math.floor(Math.min(aBox.y0, bBox.y0)));
  const v1 = Math.min(a.height, Math.ceil(Math.max(aBox.y1, bBox.y1)));
  let inter = 0;
  for (let v = v0; v < v1; v++) {
    const row = v * a.width;
    for (let u = u0; u < u1; u++) inter += a.data[row + u] & b[row + u];
  }
  return inter / (aArea + bArea - inter);
}

function area(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

export async function evaluatePerception(
  manifestFile: string,
  dataDir: string,
  options: EvalOptions = {},
): Promise<PerceptionMetrics> {
  const instanceImages: ApImage<Det, Truth>[] = [];
  const comImages: ApImage<ComDet, Truth>[] = [];
  const mses: number[] = [];
  const run = await runEvaluation(manifestFile, dataDir, 'perception', options, (scene, out, m) => {
    const minVisible = m.decoding!.min_visible_pixels;
    const result = decodePerception(m, out, EVAL_DECODING);
    mses.push(meanSquaredError(result.suction, scene.suction));
    const gts = scene.annotations.map(({ annotation, visible, amodal }, index) => ({
      truth: { index, ignore: annotation.area < minVisible, occluded: annotation.occluded } as Truth,
      box: annotationBox(annotation),
      annotation,
      visible,
      amodal,
      visibleArea: area(visible),
      amodalArea: area(amodal),
    }));
    const dets: Det[] = result.instances.map((d) => ({
      score: d.score,
      occluded: d.occluded,
      box: gts.map((g) => boxIoU(d.box, g.box)),
      visible: gts.map((g) =>
        boxIoU(d.box, g.box) > 0
          ? maskIoUInBoxes(d.visibleMask, d.box, d.visibleArea, g.visible, g.box, g.visibleArea)
          : 0,
      ),
      amodal: gts.map((g) =>
        boxIoU(d.box, g.box) > 0
          ? maskIoUInBoxes(d.amodalMask, d.box, d.amodalArea, g.amodal, g.box, g.amodalArea)
          : 0,
      ),
    }));
    instanceImages.push({ detections: dets, groundTruths: gts.map((g) => g.truth) });
    comImages.push({
      detections: result.centresOfMass.map((c) => ({
        score: c.score,
        sim: gts.map((g) =>
          centreOfMassSimilarity(
            c,
            g.annotation.center_of_mass.pixel,
            Math.sqrt((g.box.x1 - g.box.x0) * (g.box.y1 - g.box.y0)),
          ),
        ),
      })),
      groundTruths: gts.map((g) => g.truth),
    });
  });
  const common = {
    score: (d: { score: number }) => d.score,
    ignore: (g: Truth) => g.ignore,
    thresholds: COCO_IOU_THRESHOLDS,
  };
  const ap = (key: 'box' | 'visible' | 'amodal') =>
    averagePrecision(instanceImages, { ...common, similarity: (d, g) => d[key][g.index] });
  const occlusionOptions = {
    score: (d: Det) => d.score,
    ignore: (g: Truth) => g.ignore,
    similarity: (d: Det, g: Truth) => d.box[g.index],
    threshold: 0.5,
    truth: (g: Truth) => g.occluded,
  };
  const occ = occlusionAccuracy(instanceImages, { ...occlusionOptions, predicted: (d) => d.occluded });
  const notOccluded = occlusionAccuracy(instanceImages, { ...occlusionOptions, predicted: () => false });
  return {
    ...evaluatedModel(run),
    amodal_bbox_ap: ap('box'),
    visible_mask_ap: ap('visible'),
    amodal_mask_ap: ap('amodal'),
    occlusion_accuracy: occ.accuracy,
    occlusion_baseline: notOccluded.accuracy,
    com_ap: averagePrecision(comImages, { ...common, similarity: (d, g) => d.sim[g.index] }),
    suction_mse: mses.reduce((a, b) => a + b, 0) / Math.max(1, mses.length),
    ...modelCost(run),
  };
}
