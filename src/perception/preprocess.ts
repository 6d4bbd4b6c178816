// Preprocess stage: an RGB-D frame to the model's input tensor, exactly as the manifest describes it.
import { type Image } from '../msg/generated/interfaces';
import { imageToRgbTensor } from '../image';
import { type ModelManifest } from '../models/manifest';

/** Colour in any supported encoding plus depth in metres (NaN = none), both at camera resolution. */
export interface RgbdFrameInput {
  readonly color: Image;
  readonly depth?: { readonly width: number; readonly height: number; readonly metres: Float32Array };
}

export function rgbImage(width: number, height: number, rgb: Uint8Array): Image {
  return {
    header: { stamp: { sec: 0, nanosec: 0 }, frame_id: '' },
    height,
    width,
    encoding: 'rgb8',
    is_bigendian: 0,
    step: width * 3,
    data: rgb,
  };
}

/** The manifest's NCHW input: colour resized bilinearly and normalised, depth resized by nearest neighbour. */
export function modelInput(m: ModelManifest, frame: RgbdFrameInput): Float32Array {
  const [, channels, height, width] = m.input.shape;
  const color = imageToRgbTensor(frame.color, {
    width,
    height,
    mean: [m.input.mean[0], m.input.mean[1], m.input.mean[2]],
    std: [m.input.std[0], m.input.std[1], m.input.std[2]],
    layout: 'NCHW',
  });
  if (channels === 3) return color;
  if (!frame.depth) throw new Error(`${m.name} takes depth as its 4th input channel; the frame has none`);
  const { width: dw, height: dh, metres } = frame.depth;
  const out = new Float32Array(channels * width * height);
  out.set(color);
  const n = width * height;
  const mean = m.input.mean[3];
  const std = m.input.std[3];
  const sx = dw / width;
  const sy = dh / height;
  for (let y = 0; y < height; y++) {
    const row = Math.min(dh - 1, Math.floor(y * sy)) * dw;
    for (let x = 0; x < width; x++) {
      const d = metres[row + Math.min(dw - 1, Math.floor(x * sx))];
      // Invalid depth becomes 0 after normalisation: the mean, as in training (training_data.make_input).
      out[3 * n + y * width + x] = d > 0 ? (d - mean) / std : 0;
    }
  }
  return out;
}
