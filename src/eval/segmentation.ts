// `grasp-perception eval segmentation`: mIoU, per-class IoU and pixel accuracy of a segmenter on a
// dataset's held-out scenes at their (camera) resolution, through the stages the segmentation node uses.
import {
  type EvalOptions,
  type EvaluatedModel,
  evaluatedModel,
  type ModelCost,
  modelCost,
  runEvaluation,
} from './run';
import { classMap } from '../perception/segmentation';
import { ConfusionMatrix } from './metrics';

export interface SegmentationMetrics extends EvaluatedModel, ModelCost {
  miou: number;
  pixel_accuracy: number;
  iou_per_class: Record<string, number | null>;
}

export async function evaluateSegmentation(
  manifestFile: string,
  dataDirs: string | readonly string[],
  options: EvalOptions = {},
): Promise<SegmentationMetrics> {
  let confusion: ConfusionMatrix | undefined;
  const run = await runEvaluation(
    manifestFile,
    dataDirs,
    'segmentation',
    options,
    (scene, out, m, transform) => {
      confusion ??= new ConfusionMatrix(m.classes.length);
      // At the scene's (camera) resolution, as the segmentation node publishes it.
      confusion.add(
        scene.semantic,
        classMap(
          out[m.outputs[0].name],
          m.classes.length,
          m.input.shape[3],
          m.input.shape[2],
          scene.image.width,
          scene.image.height,
          transform,
        ),
      );
    },
  );
  const m = run.manifest;
  confusion ??= new ConfusionMatrix(m.classes.length);
  const ious = confusion.iouPerClass();
  return {
    ...evaluatedModel(run),
    miou: confusion.meanIoU(),
    pixel_accuracy: confusion.pixelAccuracy(),
    iou_per_class: Object.fromEntries(
      m.classes.map((c) => [c.name, Number.isNaN(ious[c.id]) ? null : ious[c.id]]),
    ),
    ...modelCost(run),
  };
}
