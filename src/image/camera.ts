import { type CameraInfo, type Image } from '../msg';
import { cameraFault } from './errors';

/**
 * Pinhole intrinsics in pixels of the image as published (after ROI and binning), plus the
 * distortion the driver reports. Skew (K[0][1]) is ignored: ROS drivers publish 0.
 */
export interface CameraModel {
  readonly width: number;
  readonly height: number;
  readonly fx: number;
  readonly fy: number;
  readonly cx: number;
  readonly cy: number;
  readonly distortionModel: string;
  readonly d: readonly number[];
}

/** Coefficient counts each distortion model takes (image_geometry's and OpenCV's models). */
export const DISTORTION_MODELS: Readonly<Record<string, readonly number[]>> = {
  plumb_bob: [5],
  rational_polynomial: [8, 12, 14],
  equidistant: [4],
};

const arrayLength = (a: unknown): number | undefined =>
  a !== null && typeof a === 'object' && typeof (a as { length?: unknown }).length === 'number'
    ? (a as { length: number }).length
    : undefined;

/**
 * Focal lengths a real camera can have, as multiples of the sensor width: from a 180° fisheye
 * (about 0.3) to a long telephoto lens; outside is a unit or driver mistake, not a lens.
 */
export const FOCAL_LENGTH_WIDTH_MULTIPLES = { min: 0.1, max: 20 } as const;

/**
 * Finite intrinsics can still be absurd (cx = 1e12, fx = 1e-12) and would put every back-projected
 * point at an absurd place: the principal point must lie on the sensor and the focal lengths within
 * FOCAL_LENGTH_WIDTH_MULTIPLES of its width (K is in full-sensor pixels, before ROI and binning).
 */
function checkIntrinsicsPlausible(
  fx: number,
  fy: number,
  cx: number,
  cy: number,
  width: number,
  height: number,
): void {
  if (cx < 0 || cx > width || cy < 0 || cy > height) {
    cameraFault(
      'BAD_INTRINSICS',
      `camera_info principal point (${cx}, ${cy}) lies outside the ${width}x${height} sensor`,
    );
  }
  const { min, max } = FOCAL_LENGTH_WIDTH_MULTIPLES;
  for (const [name, f] of [
    ['fx', fx],
    ['fy', fy],
  ] as const) {
    if (f < min * width || f > max * width) {
      cameraFault(
        'BAD_INTRINSICS',
        `camera_info focal length ${name} = ${f} px is implausible for a ${width} px wide sensor (expected ${min * width}–${max * width} px)`,
      );
    }
  }
}

/**
 * Validates a CameraInfo and reads its intrinsics from K, adjusted for binning and ROI the way
 * image_geometry does (so they describe the image actually published). When `image` is given,
 * its size must match. Every fault is a CameraInfoError with its own code.
 */
export function cameraModelFromInfo(info: CameraInfo, image?: Pick<Image, 'width' | 'height'>): CameraModel {
  if (info === null || typeof info !== 'object') {
    cameraFault('INTRINSICS_MISSING', `camera_info must be a CameraInfo message, got ${info}`);
  }
  const kLength = arrayLength(info.k);
  if (kLength !== 9)
    cameraFault('BAD_MATRIX_SIZE', `camera_info K must have 9 values, got ${kLength ?? 'none'}`);
  for (const [name, expected] of [
    ['R', 9],
    ['P', 12],
  ] as const) {
    const n = arrayLength(info[name.toLowerCase() as 'r' | 'p']) ?? 0;
    // Empty is allowed (a driver may omit them); a wrong non-zero length is a broken message.
    if (n !== 0 && n !== expected) {
      cameraFault('BAD_MATRIX_SIZE', `camera_info ${name} must have ${expected} values (or none), got ${n}`);
    }
  }
  const k = Array.from(info.k as ArrayLike<number>);
  if (k.every((v) => v === 0)) {
    cameraFault(
      'INTRINSICS_MISSING',
      'camera_info K is all zeros: the camera is not calibrated or the driver sent no intrinsics',
    );
  }
  const [fx, , cx, , fy, cy] = k;
  for (const [name, v] of [
    ['fx', fx],
    ['fy', fy],
  ] as const) {
    if (!Number.isFinite(v) || v <= 0) {
      cameraFault(
        'BAD_INTRINSICS',
        `camera_info focal length ${name} = ${v} must be a positive finite number`,
      );
    }
  }
  if (!Number.isFinite(cx) || !Number.isFinite(cy)) {
    cameraFault('BAD_INTRINSICS', `camera_info principal point (${cx}, ${cy}) must be finite`);
  }
  if (k[6] !== 0 || k[7] !== 0 || k[8] !== 1) {
    cameraFault(
      'BAD_INTRINSICS',
      `camera_info K's last row must be [0, 0, 1], got [${k[6]}, ${k[7]}, ${k[8]}]`,
    );
  }
  const isSize = (v: number) => Number.isInteger(v) && v > 0;
  if (!isSize(info.width) || !isSize(info.height)) {
    cameraFault('ZERO_SIZE', `camera_info size ${info.width}x${info.height} is not a positive integer size`);
  }
  checkIntrinsicsPlausible(fx, fy, cx, cy, info.width, info.height);

  // ROI (all zeros = full image) and binning (0 or 1 = none), as image_geometry applies them.
  const roi = info.roi ?? { x_offset: 0, y_offset: 0, width: 0, height: 0, do_rectify: false };
  const bx = Math.max(1, info.binning_x || 0);
  const by = Math.max(1, info.binning_y || 0);
  if (!Number.isInteger(bx) || !Number.isInteger(by)) {
    cameraFault('BAD_ROI', `camera_info binning ${info.binning_x}x${info.binning_y} must be integers`);
  }
  const roiW = roi.width || info.width;
  const roiH = roi.height || info.height;
  if (
    roi.x_offset < 0 ||
    roi.y_offset < 0 ||
    roi.x_offset + roiW > info.width ||
    roi.y_offset + roiH > info.height
  ) {
    cameraFault(
      'BAD_ROI',
      `camera_info ROI ${roiW}x${roiH} at (${roi.x_offset}, ${roi.y_offset}) does not fit the ${info.width}x${info.height} sensor`,
    );
  }
  const width = Math.floor(roiW / bx);
  const height = Math.floor(roiH / by);
  if (width === 0 || height === 0) {
    cameraFault('BAD_ROI', `camera_info binning ${bx}x${by} leaves no pixels of a ${roiW}x${roiH} ROI`);
  }
  if (image && (image.width !== width || image.height !== height)) {
    const how =
      width !== info.width || height !== info.height
        ? ` (after ROI/binning; sensor ${info.width}x${info.height})`
        : '';
    cameraFault(
      'SIZE_MISMATCH',
      `camera_info is ${width}x${height}${how} but the image is ${image.width}x${image.height}`,
    );
  }

  const dLength = arrayLength(info.d) ?? 0;
  const d = dLength ? Array.from(info.d as ArrayLike<number>) : [];
  const model = typeof info.distortion_model === 'string' ? info.distortion_model : '';
  if (d.length > 0) {
    const lengths = DISTORTION_MODELS[model];
    if (!Object.prototype.hasOwnProperty.call(DISTORTION_MODELS, model)) {
      cameraFault(
        'UNKNOWN_DISTORTION_MODEL',
        `unknown distortion model '${model}' with ${d.length} coefficients (known: ${Object.keys(DISTORTION_MODELS).join(', ')})`,
      );
    }
    if (!lengths.includes(d.length)) {
      cameraFault('BAD_DISTORTION', `${model} takes ${lengths.join(' or ')} coefficients, D has ${d.length}`);
    }
    if (d.some((v) => !Number.isFinite(v))) {
      cameraFault('BAD_DISTORTION', `camera_info D has a non-finite coefficient: [${d.join(', ')}]`);
    }
  }
  return {
    width,
    height,
    fx: fx / bx,
    fy: fy / by,
    cx: (cx - roi.x_offset) / bx,
    cy: (cy - roi.y_offset) / by,
    distortionModel: model,
    d,
  };
}

/** Back-projects pixel (u, v) at depth z (metres, along the optical axis) into the optical frame. */
export function backProject(
  model: CameraModel,
  u: number,
  v: number,
  z: number,
): { x: number; y: number; z: number } {
  return { x: ((u - model.cx) * z) / model.fx, y: ((v - model.cy) * z) / model.fy, z };
}

/** Projects a point in the optical frame (z forward) to pixel coordinates; ignores distortion. */
export function project(
  model: CameraModel,
  p: { x: number; y: number; z: number },
): { u: number; v: number } {
  return { u: (p.x * model.fx) / p.z + model.cx, v: (p.y * model.fy) / p.z + model.cy };
}

/**
 * The CameraInfo a driver publishes for a pinhole model (R = identity, P = [K | 0]); the inverse of
 * cameraModelFromInfo for unbinned, full-frame cameras.
 */
export function cameraInfoFromModel(
  model: Pick<CameraModel, 'width' | 'height' | 'fx' | 'fy' | 'cx' | 'cy'> &
    Partial<Pick<CameraModel, 'distortionModel' | 'd'>>,
  header: CameraInfo['header'],
): CameraInfo {
  const { width, height, fx, fy, cx, cy } = model;
  return {
    header,
    height,
    width,
    distortion_model: model.distortionModel ?? 'plumb_bob',
    d: new Float64Array(model.d ?? [0, 0, 0, 0, 0]),
    k: new Float64Array([fx, 0, cx, 0, fy, cy, 0, 0, 1]),
    r: new Float64Array([1, 0, 0, 0, 1, 0, 0, 0, 1]),
    p: new Float64Array([fx, 0, cx, 0, 0, fy, cy, 0, 0, 0, 1, 0]),
    binning_x: 0,
    binning_y: 0,
    roi: { x_offset: 0, y_offset: 0, height: 0, width: 0, do_rectify: false },
  };
}
