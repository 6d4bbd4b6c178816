// `grasp-perception eval perception`: a perception model on a dataset's held-out scenes at the resolution
// they were written at (the camera's), through the stages the nodes use: the input contract, inference,
// decoding and the camera-resolution stage (boxes, masks, points in camera pixels).
// Metric definitions: docs/models.md#evaluation.
import { type Annotation } from '../dataset';
import { type Box, boxIoU, decodePerception } from '../perception/decode';
import { cameraHeatmaps, toCamera } from '../perception/pipeline';
import { networkToCamera } from '../perception/preprocess';
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
  occlusionConfusion,
} from './metrics';

export interface PerceptionMetrics extends EvaluatedModel, ModelCost {
  amodal_bbox_ap: number;
  visible_mask_ap: number;
  amodal_mask_ap: number;
  occlusion_accuracy: number;
  /** Occlusion accuracy of the trivial answer "not occluded" on the same matched objects. */
  occlusion_baseline: number;
  /** Mean of the occluded and the not-occluded recall on the same matches (0.5 for any constant answer). */
  occlusion_balanced_accuracy: number;
  /** F1 of the occluded class on the same matches (0 for the constant "not occluded"). */
  occlusion_f1: number;
  /** Matched objects the occlusion figures count, and how many of them are occluded. */
  occlusion_matched: number;
  occlusion_positives: number;
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
 * IoU of a camera-resolution mask cropped to `crop` (zero outside it, as the camera stage returns it) and
 * a full-image ground-truth mask: the intersection can only lie inside the crop.
 */
function croppedMaskIoU(
  mask: Uint8Array,
  crop: { x: number; y: number; width: number; height: number },
  maskArea: number,
  truth: Uint8Array,
  imageWidth: number,
  truthArea: number,
): number {
  if (maskArea === 0 && truthArea === 0) return 0;
  let inter = 0;
  for (let j = 0; j < crop.height; j++) {
    const row = (crop.y + j) * imageWidth + crop.x;
    const mrow = j * crop.width;
    for (let i = 0; i < crop.width; i++) inter += mask[mrow + i] & truth[row + i];
  }
  return inter / (maskArea + truthArea - inter);
}

function area(mask: Uint8Array): number {
  let n = 0;
  for (const v of mask) n += v;
  return n;
}

export async function evaluatePerception(
  manifestFile: string,
  dataDirs: string | readonly string[],
  options: EvalOptions = {},
): Promise<PerceptionMetrics> {
  const instanceImages: ApImage<Det, Truth>[] = [];
  const comImages: ApImage<ComDet, Truth>[] = [];
  const mses: number[] = [];
  const run = await runEvaluation(
    manifestFile,
    dataDirs,
    'perception',
    options,
    (scene, out, m, transform) => {
      const minVisible = m.decoding!.min_visible_pixels;
      const { width, height, intrinsics } = scene.image;
      const result = decodePerception(m, out, EVAL_DECODING, { masks: false });
      const camera = { width, height, ...intrinsics, distortionModel: 'plumb_bob', d: [] };
      const cam = toCamera(
        result,
        { camera, depth: { width, height, metres: scene.depth } },
        m,
        out,
        transform,
        m.decoding!.mask_threshold,
      );
      mses.push(
        meanSquaredError(cameraHeatmaps(result, transform, m.decoding!.stride).suction.data, scene.suction),
      );
      // An object too small for the network to see (fewer than min_visible_pixels network pixels) is ignored.
      const networkPixels = transform.scaleX * transform.scaleY;
      const gts = scene.annotations.map(({ annotation, visible, amodal }, index) => ({
        truth: {
          index,
          ignore: annotation.area * networkPixels < minVisible,
          occluded: annotation.occluded,
        } as Truth,
        box: annotationBox(annotation),
        annotation,
        visible,
        amodal,
        visibleArea: area(visible),
        amodalArea: area(amodal),
      }));
      const dets: Det[] = cam.instances.map((d) => ({
        score: d.score,
        occluded: d.occluded,
        box: gts.map((g) => boxIoU(d.box, g.box)),
        visible: gts.map((g) =>
          boxIoU(d.box, g.box) > 0
            ? croppedMaskIoU(d.visibleMask, d.crop, d.visibleArea, g.visible, width, g.visibleArea)
            : 0,
        ),
        amodal: gts.map((g) =>
          boxIoU(d.box, g.box) > 0
            ? croppedMaskIoU(d.amodalMask, d.crop, d.amodalArea, g.amodal, width, g.amodalArea)
            : 0,
        ),
      }));
      instanceImages.push({ detections: dets, groundTruths: gts.map((g) => g.truth) });
      comImages.push({
        detections: result.centresOfMass.map((c) => ({
          score: c.score,
          sim: gts.map((g) =>
            centreOfMassSimilarity(
              networkToCamera(transform, c.u, c.v),
              g.annotation.center_of_mass.pixel,
              Math.sqrt((g.box.x1 - g.box.x0) * (g.box.y1 - g.box.y0)),
            ),
          ),
        })),
        groundTruths: gts.map((g) => g.truth),
      });
    },
  );
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
  const confusion = occlusionConfusion(instanceImages, { ...occlusionOptions, predicted: (d) => d.occluded });
  return {
    ...evaluatedModel(run),
    amodal_bbox_ap: ap('box'),
    visible_mask_ap: ap('visible'),
    amodal_mask_ap: ap('amodal'),
    occlusion_accuracy: occ.accuracy,
    occlusion_baseline: notOccluded.accuracy,
    occlusion_balanced_accuracy: confusion.balancedAccuracy,
    occlusion_f1: confusion.f1,
    occlusion_matched: confusion.matched,
    occlusion_positives: confusion.tp + confusion.fn,
    com_ap: averagePrecision(comImages, { ...common, similarity: (d, g) => d.sim[g.index] }),
    suction_mse: mses.reduce((a, b) => a + b, 0) / Math.max(1, mses.length),
    ...modelCost(run),
  };
}
