// `grasp-perception eval segmentation`: mIoU and pixel accuracy of a segmenter on a dataset's held-out
// scenes, through the same preprocess stage the segmentation node uses.
import {
  type EvalOptions,
  type EvaluatedModel,
  evaluatedModel,
  type ModelCost,
  modelCost,
  runEvaluation,
} from './run';
import { ConfusionMatrix } from './metrics';

export interface SegmentationMetrics extends EvaluatedModel, ModelCost {
  miou: number;
  pixel_accuracy: number;
  iou_per_class: Record<string, number | null>;
}

/** Per-pixel argmax over a 1xCxHxW logits tensor. */
export function argmaxClasses(logits: Float32Array, classes: number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestValue = logits[i];
    for (let c = 1; c < classes; c++) {
      const v = logits[c * n + i];
      if (v > bestValue) {
        bestValue = v;
        best = c;
      }
    }
    out[i] = best;
  }
  return out;
}

export async function evaluateSegmentation(
  manifestFile: string,
  dataDir: string,
  options: EvalOptions = {},
): Promise<SegmentationMetrics> {
  let confusion: ConfusionMatrix | undefined;
  const run = await runEvaluation(manifestFile, dataDir, 'segmentation', options, (scene, out, m) => {
    confusion ??= new ConfusionMatrix(m.classes.length);
    confusion.add(
      scene.semantic,
      argmaxClasses(out[m.outputs[0].name], m.classes.length, scene.semantic.length),
    );
  });
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
