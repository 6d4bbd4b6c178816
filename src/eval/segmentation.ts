// `grasp-perception eval segmentation`: mIoU and pixel accuracy of a segmenter on a dataset's held-out
// scenes, through the same preprocess stage the segmentation node uses.
import { evaluationImages, loadScene, openDataset } from '../dataset';
import { openModel } from '../models/session';
import { modelInput } from '../perception/preprocess';
import { type EvalOptions } from './perception';
import { ConfusionMatrix, percentile } from './metrics';

export interface SegmentationMetrics {
  model: string;
  precision: string;
  images: number;
  split: string;
  miou: number;
  pixel_accuracy: number;
  iou_per_class: Record<string, number | null>;
  params: number;
  gflops: number;
  size_bytes: number;
  latency_ms_p50: number;
  latency_ms_p90: number;
  threads: number;
  provider: string;
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
  const threads = options.threads ?? 2;
  const model = await openModel(manifestFile, { intraOpThreads: threads, warmupRuns: 3 });
  const m = model.manifest;
  if (m.task !== 'segmentation') {
    throw new Error(`${manifestFile}: a ${m.task} model; eval segmentation needs a segmentation model`);
  }
  const ds = openDataset(dataDir);
  const [, , height, width] = m.input.shape;
  if (ds.manifest.width !== width || ds.manifest.height !== height) {
    throw new Error(
      `${dataDir} is ${ds.manifest.width}x${ds.manifest.height}, ${m.name} takes ${width}x${height}; write the dataset at the model's input size`,
    );
  }
  const classes = m.classes.length;
  const evalSet = evaluationImages(ds);
  const images = evalSet.images.slice(0, options.limit ?? evalSet.images.length);
  const confusion = new ConfusionMatrix(classes);
  const latencies: number[] = [];
  try {
    for (const [i, image] of images.entries()) {
      const scene = loadScene(ds, image, []);
      const input = modelInput(m, { width, height, rgb: scene.rgb });
      const t0 = process.hrtime.bigint();
      const out = await model.run(input);
      latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
      confusion.add(scene.semantic, argmaxClasses(out[m.outputs[0].name], classes, width * height));
      options.onProgress?.(i + 1, images.length);
    }
  } finally {
    await model.release();
  }
  const ious = confusion.iouPerClass();
  return {
    model: m.name,
    precision: m.precision,
    images: images.length,
    split: evalSet.split,
    miou: confusion.meanIoU(),
    pixel_accuracy: confusion.pixelAccuracy(),
    iou_per_class: Object.fromEntries(
      m.classes.map((c) => [c.name, Number.isNaN(ious[c.id]) ? null : ious[c.id]]),
    ),
    params: m.complexity.params,
    gflops: m.complexity.gflops,
    size_bytes: m.file_bytes,
    latency_ms_p50: percentile(latencies, 50),
    latency_ms_p90: percentile(latencies, 90),
    threads,
    provider: model.provider,
  };
}
