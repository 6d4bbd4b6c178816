// Semantic segmentation stages: preprocess (colour only) -> infer -> argmax -> camera resolution, and
// the colour renderings the node publishes.
import { type Image } from '../msg';
import { imageToRgb } from '../image';
import { type ModelSession } from '../models/session';
import { instanceColour } from './overlay';
import { aspectWarningOnce } from './pipeline';
import { encodeInput, type InputTransform } from './preprocess';

export interface SegmentationOutput {
  width: number;
  height: number;
  /** Class id per camera pixel (the manifest's classes). */
  labels: Uint8Array;
  times: { preprocess_ms: number; inference_ms: number; postprocess_ms: number };
}

const now = () => Number(process.hrtime.bigint()) / 1e6;

/**
 * Per-pixel argmax of 1xCxHxW logits, resampled (nearest) to width x height: through the input transform
 * when given (contract v2's letterbox), else stretched over the whole map.
 */
export function classMap(
  logits: Float32Array,
  classes: number,
  mw: number,
  mh: number,
  width: number,
  height: number,
  t?: InputTransform,
): Uint8Array {
  const n = mw * mh;
  const small = new Uint8Array(n);
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
    small[i] = best;
  }
  const padX = t?.padX ?? 0;
  const padY = t?.padY ?? 0;
  if (mw === width && mh === height && padX === 0 && padY === 0) return small;
  const sx = t?.scaleX ?? mw / width;
  const sy = t?.scaleY ?? mh / height;
  const out = new Uint8Array(width * height);
  const cols = new Int32Array(width);
  for (let x = 0; x < width; x++) cols[x] = Math.max(0, Math.min(mw - 1, Math.floor(padX + (x + 0.5) * sx)));
  for (let y = 0; y < height; y++) {
    const row = Math.max(0, Math.min(mh - 1, Math.floor(padY + (y + 0.5) * sy))) * mw;
    for (let x = 0; x < width; x++) out[y * width + x] = small[row + cols[x]];
  }
  return out;
}

export async function segment(
  session: ModelSession,
  color: Image,
  onWarning: (line: string) => void = (line) => process.emitWarning(line),
): Promise<SegmentationOutput> {
  const m = session.manifest;
  const [, , mh, mw] = m.input.shape;
  const warning = aspectWarningOnce(m, color.width, color.height);
  if (warning) onWarning(warning);
  const t0 = now();
  const { input, transform } = encodeInput(m, { color });
  const t1 = now();
  const out = await session.run(input);
  const t2 = now();
  const labels = classMap(
    out[m.outputs[0].name],
    m.classes.length,
    mw,
    mh,
    color.width,
    color.height,
    transform,
  );
  return {
    width: color.width,
    height: color.height,
    labels,
    times: { preprocess_ms: t1 - t0, inference_ms: t2 - t1, postprocess_ms: now() - t2 },
  };
}

/** Class id -> colour (class 0, the background, stays black). */
export function classColour(id: number): [number, number, number] {
  return id === 0 ? [0, 0, 0] : instanceColour(id * 3);
}

export function coloredLabels(labels: Uint8Array): Uint8Array {
  const rgb = new Uint8Array(labels.length * 3);
  for (let i = 0; i < labels.length; i++) rgb.set(classColour(labels[i]), 3 * i);
  return rgb;
}

export function blendLabels(color: Image, labels: Uint8Array, alpha = 0.5): Uint8Array {
  const rgb = Uint8Array.from(imageToRgb(color));
  for (let i = 0; i < labels.length; i++) {
    if (!labels[i]) continue;
    const c = classColour(labels[i]);
    for (let k = 0; k < 3; k++) rgb[3 * i + k] = Math.round(rgb[3 * i + k] * (1 - alpha) + c[k] * alpha);
  }
  return rgb;
}
