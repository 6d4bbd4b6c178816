// The loop both evaluations share: open the model and the dataset, then run every held-out scene, at the
// resolution it was written at (the camera's), through the nodes' own preprocess stage (the input
// contract) and the model, timing inference.
import {
  ALL_SPLIT_NOTE,
  type Annotation,
  evaluationImages,
  type EvaluationSplit,
  type LoadedScene,
  loadScene,
  openDataset,
} from '../dataset';
import { type ModelManifest } from '../models/manifest';
import { openModel } from '../models/session';
import { encodeInput, type InputTransform, rgbImage } from '../perception/preprocess';
import { PERCEPTION_PARAMETERS } from '../nodes/perception/node';
import { percentile } from '../stats';

/** Evaluations time inference as perception_node runs it: its intra-op thread count. */
export const NODE_THREADS = PERCEPTION_PARAMETERS.intra_op_threads.default;

export interface EvalOptions {
  /** onnxruntime intra-op threads (default NODE_THREADS: what the node delivers). */
  threads?: number;
  /** Evaluate the first N evaluation scenes only. */
  limit?: number;
  /** The test split (default; refused when the dataset has none) or every scene. */
  split?: EvaluationSplit;
  /** Called after each scene (progress bars). */
  onProgress?: (done: number, total: number) => void;
}

export interface EvalRun {
  manifest: ModelManifest;
  /** Camera (dataset) resolutions evaluated, e.g. ['640x480'], and the network input beside them. */
  resolutions: string[];
  input: string;
  provider: string;
  threads: number;
  split: EvaluationSplit;
  images: number;
  /** Inference time per scene, milliseconds. */
  latencies: number[];
}

/**
 * Runs the model on the evaluation scenes of one dataset, or of several pooled in order (e.g. the other
 * shipped cells' held-out splits); `limit` applies to each dataset.
 */
export async function runEvaluation(
  manifestFile: string,
  dataDirs: string | readonly string[],
  task: ModelManifest['task'],
  options: EvalOptions,
  onScene: (
    scene: LoadedScene,
    outputs: Record<string, Float32Array>,
    m: ModelManifest,
    transform: InputTransform,
  ) => void,
): Promise<EvalRun> {
  const threads = options.threads ?? NODE_THREADS;
  const model = await openModel(manifestFile, { intraOpThreads: threads, warmupRuns: 3 });
  const m = model.manifest;
  try {
    if (m.task !== task) {
      throw new Error(`${manifestFile}: a ${m.task} model; eval ${task} needs a ${task} model`);
    }
    const dirs = typeof dataDirs === 'string' ? [dataDirs] : dataDirs;
    const sets = dirs.map((dataDir) => {
      const ds = openDataset(dataDir);
      const evalSet = evaluationImages(ds, options.split);
      const byImage = new Map<number, Annotation[]>();
      for (const a of task === 'perception' ? evalSet.annotations : []) {
        const list = byImage.get(a.image_id) ?? [];
        list.push(a);
        byImage.set(a.image_id, list);
      }
      return {
        ds,
        evalSet,
        byImage,
        images: evalSet.images.slice(0, options.limit ?? evalSet.images.length),
      };
    });
    const total = sets.reduce((n, s) => n + s.images.length, 0);
    const latencies: number[] = [];
    for (const { ds, byImage, images } of sets) {
      for (const image of images) {
        const scene = loadScene(ds, image, byImage.get(image.id) ?? []);
        const { width, height, intrinsics } = image;
        const { input, transform } = encodeInput(m, {
          color: rgbImage(width, height, scene.rgb),
          depth: { width, height, metres: scene.depth },
          intrinsics,
        });
        const t0 = process.hrtime.bigint();
        const out = await model.run(input);
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        onScene(scene, out, m, transform);
        options.onProgress?.(latencies.length, total);
      }
    }
    const all = sets.flatMap((s) => s.images);
    return {
      manifest: m,
      resolutions: [...new Set(all.map((im) => `${im.width}x${im.height}`))],
      input: `${m.input.shape[3]}x${m.input.shape[2]}`,
      provider: model.provider,
      threads,
      // 'all' if any dataset was scored on every scene (then the score includes training scenes).
      split: sets.some((s) => s.evalSet.split === 'all') ? 'all' : sets[0].evalSet.split,
      images: all.length,
      latencies,
    };
  } finally {
    await model.release();
  }
}

/** What was evaluated, on what: the fields every evaluation reports first. */
export interface EvaluatedModel {
  model: string;
  precision: string;
  images: number;
  /** Camera resolution(s) of the scenes, as evaluated (the node's path), and the network input size. */
  camera_resolution: string;
  input_size: string;
  split: EvaluationSplit;
  /** Present when the split is `all`: the score includes training scenes. */
  split_note?: string;
}

/** Size, compute and measured latency: the fields every evaluation reports last. */
export interface ModelCost {
  params: number;
  gflops: number;
  size_bytes: number;
  latency_ms_p50: number;
  latency_ms_p90: number;
  threads: number;
  provider: string;
}

export function evaluatedModel(run: EvalRun): EvaluatedModel {
  return {
    model: run.manifest.name,
    precision: run.manifest.precision,
    images: run.images,
    camera_resolution: run.resolutions.join(', '),
    input_size: run.input,
    split: run.split,
    ...(run.split === 'all' ? { split_note: ALL_SPLIT_NOTE } : {}),
  };
}

export function modelCost(run: EvalRun): ModelCost {
  const m = run.manifest;
  return {
    params: m.complexity.params,
    gflops: m.complexity.gflops,
    size_bytes: m.file_bytes,
    latency_ms_p50: percentile(run.latencies, 50),
    latency_ms_p90: percentile(run.latencies, 90),
    threads: run.threads,
    provider: run.provider,
  };
}
