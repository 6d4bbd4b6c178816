// Activation ranges for static int8 quantization, measured in the runtime that will run the model
// (training/quantize.py has no Python onnxruntime here). Inputs come from the training split only (a
// policy: training-seeded simulator scenes), never the test split, which would leak evaluation scenes into
// the int8 model; they pass through the same preprocess stage the nodes use, so the ranges match deployment.
import * as fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import { loadScene, openDataset, SPLITS } from '../dataset';
import { modelInput, rgbImage } from '../perception/preprocess';
import { policyCalibrationInputs } from '../policy/calibration';
import { loadManifest, type ModelManifest } from './manifest';

export interface CalibrationOptions {
  manifest: string;
  /** The model copy with every tensor to calibrate exposed as an output (quantize.py prepare). */
  onnx: string;
  /** JSON {tensors: string[]} written by quantize.py prepare. */
  tensors: string;
  /** Dataset directory (perception, segmentation); a policy calibrates on simulator scenes. */
  data?: string;
  images: number;
  out: string;
  threads?: number;
}

/** Calibration inputs: dataset scenes through the perception preprocess, or simulator heightmaps through the policy's. */
async function* calibrationInputs(o: CalibrationOptions, m: ModelManifest): AsyncGenerator<Float32Array> {
  if (m.task === 'policy') {
    yield* policyCalibrationInputs(m, o.images);
    return;
  }
  if (!o.data) throw new Error(`${o.manifest}: a ${m.task} model calibrates on a dataset (--data)`);
  const ds = openDataset(o.data);
  const split = ds.splits.train;
  if (split.images.length === 0) {
    const counts = SPLITS.filter((s) => ds.splits[s].images.length > 0)
      .map((s) => `${String(ds.splits[s].images.length)} ${s}`)
      .join(', ');
    const total = SPLITS.reduce((k, s) => k + ds.splits[s].images.length, 0);
    throw new Error(
      `${o.data}: no training split to calibrate on (${String(total)} scenes: ${counts || 'none'}); calibration never reads the test split`,
    );
  }
  const n = Math.min(o.images, split.images.length);
  for (let i = 0; i < n; i++) {
    const image = split.images[Math.floor((i * split.images.length) / n)];
    const scene = loadScene(ds, image, []);
    // Each scene at its own (camera) resolution, through the input contract, as the node feeds the model.
    const { width, height, intrinsics } = image;
    yield modelInput(m, {
      color: rgbImage(width, height, scene.rgb),
      depth: { width, height, metres: scene.depth },
      intrinsics,
    });
  }
}

/** Per-tensor [min, max] over up to `images` calibration inputs. */
export async function calibrate(o: CalibrationOptions): Promise<{ tensors: number; images: number }> {
  const { manifest: m } = loadManifest(o.manifest, { verifyModel: false });
  const tensors = (JSON.parse(fs.readFileSync(o.tensors, 'utf8')) as { tensors: string[] }).tensors;
  const session = await ort.InferenceSession.create(o.onnx, { intraOpNumThreads: o.threads ?? 2 });
  const missing = tensors.filter((t) => !session.outputNames.includes(t));
  if (missing.length > 0) throw new Error(`${o.onnx}: does not expose ${missing[0]} (run quantize.py prepare again)`);
  const ranges: Record<string, [number, number]> = Object.fromEntries(tensors.map((t) => [t, [Infinity, -Infinity]]));
  let n = 0;
  try {
    for await (const input of calibrationInputs(o, m)) {
      const res = await session.run({ [m.input.name]: new ort.Tensor('float32', input, [...m.input.shape]) }, tensors);
      n++;
      for (const t of tensors) {
        const data = res[t].data as Float32Array;
        const r = ranges[t];
        for (const v of data) {
          if (v < r[0]) r[0] = v;
          if (v > r[1]) r[1] = v;
        }
      }
    }
  } finally {
    await session.release();
  }
  fs.writeFileSync(o.out, `${JSON.stringify({ method: 'min-max', images: n, ranges }, null, 1)}\n`);
  return { tensors: tensors.length, images: n };
}
