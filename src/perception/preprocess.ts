// Preprocess stage: an RGB-D frame to the model's input tensor, exactly as the manifest's input contract
// describes it, and the mapping between camera pixels and network pixels that every later stage uses.
//
// Contract v1 (format 1 manifests, every model trained before input contract v2): the frame is resized to
// the input shape as it is (a 4:3 camera into a 5:4 input is squashed); depth in metres.
// Contract v2 (`input.contract`): letterbox — scaled to fit with the aspect ratio kept, centred, padded —
// and depth as height above the support plane fitted in the frame. The training data is encoded by this
// same code (`grasp-perception encode`, src/perception/encode-dataset.ts), so training sees exactly this.
import { type Image } from '../msg/generated/interfaces';
import { imageToColorMat, imageToRgbTensor, withCv } from '../image';
import { matBytes } from '../image/opencv';
import { type InputContract, type ModelManifest } from '../models/manifest';
import { fitSupportPlane, type PinholeIntrinsics, type SupportPlane } from '../geometry/support-plane';

/** Colour in any supported encoding plus depth in metres (NaN = none), both at camera resolution. */
export interface RgbdFrameInput {
  readonly color: Image;
  readonly depth?: { readonly width: number; readonly height: number; readonly metres: Float32Array };
  /** Needed by contract v2's depth encoding (back-projection for the support plane). */
  readonly intrinsics?: PinholeIntrinsics;
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

/**
 * Camera pixels <-> network pixels: network x = padX + u · scaleX for continuous coordinates (pixel u
 * covers [u, u+1)); the content (the camera image) occupies [padX, padX + contentWidth) of the input.
 * Contract v1: scale per axis = input / camera, no padding (the squash). Contract v2: letterbox.
 */
export interface InputTransform {
  cameraWidth: number;
  cameraHeight: number;
  width: number;
  height: number;
  scaleX: number;
  scaleY: number;
  padX: number;
  padY: number;
  contentWidth: number;
  contentHeight: number;
}

/** The manifest's contract version: 2 with `input.contract`, else 1. */
export function contractVersion(m: ModelManifest): 1 | 2 {
  return m.input.contract ? 2 : 1;
}

/** The letterbox of a camera image into a network input of width x height (contract v2). */
export function letterbox(
  cameraWidth: number,
  cameraHeight: number,
  width: number,
  height: number,
): InputTransform {
  const s = Math.min(width / cameraWidth, height / cameraHeight);
  const contentWidth = Math.max(1, Math.min(width, Math.round(cameraWidth * s)));
  const contentHeight = Math.max(1, Math.min(height, Math.round(cameraHeight * s)));
  return {
    cameraWidth,
    cameraHeight,
    width,
    height,
    scaleX: contentWidth / cameraWidth,
    scaleY: contentHeight / cameraHeight,
    padX: Math.floor((width - contentWidth) / 2),
    padY: Math.floor((height - contentHeight) / 2),
    contentWidth,
    contentHeight,
  };
}

/** How this model maps a camera of the given size (v1: squash, v2: letterbox). */
export function inputTransform(m: ModelManifest, cameraWidth: number, cameraHeight: number): InputTransform {
  const [, , height, width] = m.input.shape;
  if (m.input.contract) return letterbox(cameraWidth, cameraHeight, width, height);
  return {
    cameraWidth,
    cameraHeight,
    width,
    height,
    scaleX: width / cameraWidth,
    scaleY: height / cameraHeight,
    padX: 0,
    padY: 0,
    contentWidth: width,
    contentHeight: height,
  };
}

/** Camera pixel (OpenCV convention: integers are pixel centres) to network pixel. */
export function cameraToNetwork(t: InputTransform, u: number, v: number): { x: number; y: number } {
  return { x: t.padX + (u + 0.5) * t.scaleX - 0.5, y: t.padY + (v + 0.5) * t.scaleY - 0.5 };
}

/** Network pixel (integers are pixel centres) to camera pixel. */
export function networkToCamera(t: InputTransform, x: number, y: number): { u: number; v: number } {
  return { u: (x + 0.5 - t.padX) / t.scaleX - 0.5, v: (y + 0.5 - t.padY) / t.scaleY - 0.5 };
}

/**
 * Contract v2: the camera's aspect differs from every aspect the model was trained on (`trained_aspects`,
 * 1 % tolerance): the line to WARN once, else null. Contract v1 models were trained at their input size
 * and squash every camera by design (docs/models.md): no warning, as before.
 */
export function aspectWarning(m: ModelManifest, cameraWidth: number, cameraHeight: number): string | null {
  const trained = m.input.contract?.trained_aspects;
  if (!trained) return null;
  const aspect = cameraWidth / cameraHeight;
  if (trained.some((a) => Math.abs(aspect / a - 1) <= 0.01)) return null;
  return `${m.name} was trained on camera aspect ${trained.map((a) => a.toFixed(3)).join(', ')}; this camera is ${cameraWidth}x${cameraHeight} (${aspect.toFixed(3)}): letterboxed, but outside what it was trained on`;
}

/** Contract v2's input before normalisation: colour bytes and height above the support, network frame. */
export interface RawInput {
  transform: InputTransform;
  /** RGB, height x width x 3 (HWC), the padding filled with the contract's pad colour. */
  rgb: Uint8Array;
  /** Height above the support plane in metres, NaN = invalid or padding; absent for colour-only models. */
  height?: Float32Array;
  /** The fitted support plane (null when none was found: every height is invalid). */
  plane?: SupportPlane | null;
}

/** Contract v2: letterboxed colour (bilinear, OpenCV) and the nearest-sampled height above the support plane. */
export function encodeRaw(
  contract: InputContract,
  width: number,
  height: number,
  frame: RgbdFrameInput,
  name = 'the model',
): RawInput {
  const t = letterbox(frame.color.width, frame.color.height, width, height);
  const content = withCv('letterboxing the input', (c) => {
    const mat = imageToColorMat(frame.color, 'rgb');
    if (t.contentWidth === frame.color.width && t.contentHeight === frame.color.height) return matBytes(mat);
    return matBytes(mat.resize(t.contentHeight, t.contentWidth, 0, 0, c.INTER_LINEAR));
  });
  const rgb = new Uint8Array(width * height * 3);
  if (t.contentWidth !== width || t.contentHeight !== height) {
    const [r, g, b] = contract.pad_color;
    for (let i = 0; i < width * height; i++) {
      rgb[3 * i] = r;
      rgb[3 * i + 1] = g;
      rgb[3 * i + 2] = b;
    }
  }
  for (let y = 0; y < t.contentHeight; y++) {
    rgb.set(
      content.subarray(y * t.contentWidth * 3, (y + 1) * t.contentWidth * 3),
      ((t.padY + y) * width + t.padX) * 3,
    );
  }
  if (contract.depth_encoding === null) return { transform: t, rgb };
  if (!frame.depth)
    throw new Error(`${name} takes depth (height above the support) as its 4th channel; the frame has none`);
  if (!frame.intrinsics)
    throw new Error(`${name}: the height-above-support encoding needs the camera intrinsics`);
  const { width: dw, height: dh, metres } = frame.depth;
  const k = frame.intrinsics;
  // The depth may come at another resolution than colour (it is aligned to it): scale the intrinsics.
  const kx = dw / frame.color.width;
  const ky = dh / frame.color.height;
  const kd = { fx: k.fx * kx, fy: k.fy * ky, cx: (k.cx + 0.5) * kx - 0.5, cy: (k.cy + 0.5) * ky - 0.5 };
  const plane = fitCentralSupport(metres, dw, dh, kd);
  const out = new Float32Array(width * height).fill(NaN);
  if (plane) {
    const { x: nx, y: ny, z: nz } = plane.normal;
    const cols = new Int32Array(t.contentWidth);
    for (let x = 0; x < t.contentWidth; x++)
      cols[x] = Math.min(dw - 1, Math.max(0, Math.floor(((x + 0.5) / t.scaleX) * kx)));
    for (let y = 0; y < t.contentHeight; y++) {
      const v = Math.min(dh - 1, Math.max(0, Math.floor(((y + 0.5) / t.scaleY) * ky)));
      const rowTerm = (ny * (v - kd.cy)) / kd.fy + nz;
      const row = (t.padY + y) * width + t.padX;
      for (let x = 0; x < t.contentWidth; x++) {
        const u = cols[x];
        const z = metres[v * dw + u];
        if (z > 0 && z !== Infinity) out[row + x] = z * ((nx * (u - kd.cx)) / kd.fx + rowTerm) + plane.offset;
      }
    }
  }
  return { transform: t, rgb, height: out, plane };
}

/** Share of the image's width and height, centred, the support plane is fitted in (see fitCentralSupport). */
export const SUPPORT_REGION = 0.5;

/**
 * The support plane fitted in the image's central region (SUPPORT_REGION of each side): a camera looks at its
 * workspace, so the plane the objects rest on (a bin's floor) fills the centre, while the table around a bin
 * (its floor slab above the table) can fill most of a far or tilted view.
 */
export function fitCentralSupport(
  metres: Float32Array,
  width: number,
  height: number,
  k: PinholeIntrinsics,
): SupportPlane | null {
  const x0 = Math.floor((width * (1 - SUPPORT_REGION)) / 2);
  const y0 = Math.floor((height * (1 - SUPPORT_REGION)) / 2);
  const w = Math.max(1, Math.round(width * SUPPORT_REGION));
  const h = Math.max(1, Math.round(height * SUPPORT_REGION));
  const crop = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    crop.set(metres.subarray((y0 + y) * width + x0, (y0 + y) * width + x0 + w), y * w);
  // Sampling step as for the full image (about width / 80), so a crop is sampled as densely.
  return fitSupportPlane(
    crop,
    w,
    h,
    { fx: k.fx, fy: k.fy, cx: k.cx - x0, cy: k.cy - y0 },
    {
      step: Math.max(1, Math.round(width / 80)),
      sampleRadiusPx: width / 16,
    },
  );
}

/** Normalises a raw v2 input with the manifest's mean and std (invalid height -> 0, the mean). */
export function normaliseRaw(m: ModelManifest, raw: RawInput): Float32Array {
  const [, channels, height, width] = m.input.shape;
  const n = width * height;
  const out = new Float32Array(channels * n);
  for (let ch = 0; ch < 3; ch++) {
    const lut = new Float32Array(256);
    for (let v = 0; v < 256; v++) lut[v] = (v / 255 - m.input.mean[ch]) / m.input.std[ch];
    const base = ch * n;
    for (let i = 0; i < n; i++) out[base + i] = lut[raw.rgb[3 * i + ch]];
  }
  if (channels === 4 && raw.height) {
    const mean = m.input.mean[3];
    const std = m.input.std[3];
    for (let i = 0; i < n; i++) {
      const h = raw.height[i];
      out[3 * n + i] = Number.isNaN(h) ? 0 : (h - mean) / std;
    }
  }
  return out;
}

export interface EncodedInput {
  /** The NCHW input tensor. */
  input: Float32Array;
  transform: InputTransform;
  /** Contract v2 with depth: the support plane the heights are measured from (null: none found). */
  plane?: SupportPlane | null;
}

/** The one runtime implementation of the input contract (nodes, `infer`, `eval`, `bench`, calibration). */
export function encodeInput(m: ModelManifest, frame: RgbdFrameInput): EncodedInput {
  const [, , height, width] = m.input.shape;
  if (m.input.contract) {
    const raw = encodeRaw(m.input.contract, width, height, frame, m.name);
    return { input: normaliseRaw(m, raw), transform: raw.transform, plane: raw.plane };
  }
  return {
    input: modelInputV1(m, frame),
    transform: inputTransform(m, frame.color.width, frame.color.height),
  };
}

/** The manifest's NCHW input tensor (either contract). */
export function modelInput(m: ModelManifest, frame: RgbdFrameInput): Float32Array {
  return encodeInput(m, frame).input;
}

/** Contract v1: colour resized bilinearly and normalised, depth (metres) resized by nearest neighbour. */
function modelInputV1(m: ModelManifest, frame: RgbdFrameInput): Float32Array {
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
