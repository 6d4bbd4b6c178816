// Pinhole RGB-D camera in the ROS optical convention (z forward, x right, y down). Pixel (u, v)
// integer indices name pixel centres (OpenCV), so the image centre is ((W−1)/2, (H−1)/2).
import {
  cross,
  invertTransform,
  mat3ToQuat,
  normalize,
  type Pose,
  poseToTransform,
  type RigidTransform,
  sub,
  transformPoint,
  type Vec3,
  vec3,
} from './math';

export interface CameraIntrinsics {
  width: number;
  height: number;
  fx: number;
  fy: number;
  cx: number;
  cy: number;
}

export interface LookAt {
  eye: Vec3;
  target: Vec3;
  /** World direction that should point up in the image (default +y: the far side of the bin). */
  up?: Vec3;
}

export interface CameraConfig {
  width?: number;
  height?: number;
  fx?: number;
  fy?: number;
  cx?: number;
  cy?: number;
  /** World-from-optical pose; overrides `lookAt`. */
  pose?: Pose;
  lookAt?: LookAt;
}

export interface Camera {
  intrinsics: CameraIntrinsics;
  /** Optical frame expressed in the world (world-from-camera). */
  worldFromCamera: RigidTransform;
  /** p_camera = cameraFromWorld(p_world). */
  cameraFromWorld: RigidTransform;
  pose: Pose;
}

/** RealSense D435 colour stream at 640×480: fx ≈ fy ≈ 615 px. */
export const DEFAULT_FOCAL_640 = 615;

/** ~0.7 m above the bin floor, ~10° tilt towards +y, looking at the bin centre. */
export const DEFAULT_LOOK_AT: Readonly<LookAt> = Object.freeze({
  eye: vec3(0, -0.12, 0.7),
  target: vec3(0, 0, 0),
  up: vec3(0, 1, 0),
});

export function lookAtRotation(lookAt: LookAt): number[] {
  const z = normalize(sub(lookAt.target, lookAt.eye));
  const upHint = lookAt.up ?? vec3(0, 1, 0);
  // Image x (right) = forward × up; image y (down) = forward × right.
  const x = normalize(cross(z, upHint));
  const y = cross(z, x);
  // Columns are the optical axes in world coordinates.
  return [x.x, y.x, z.x, x.y, y.y, z.y, x.z, y.z, z.z];
}

export function createCamera(config: CameraConfig = {}): Camera {
  const width = config.width ?? 640;
  const height = config.height ?? 480;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 8 || height < 8) {
    throw new RangeError(`camera size must be integers ≥ 8, got ${width}×${height}`);
  }
  // Keep the D435 field of view at any resolution.
  const intrinsics: CameraIntrinsics = {
    width,
    height,
    fx: config.fx ?? (DEFAULT_FOCAL_640 * width) / 640,
    fy: config.fy ?? (DEFAULT_FOCAL_640 * height) / 480,
    cx: config.cx ?? (width - 1) / 2,
    cy: config.cy ?? (height - 1) / 2,
  };
  let worldFromCamera: RigidTransform;
  if (config.pose) {
    worldFromCamera = poseToTransform(config.pose);
  } else {
    const lookAt = config.lookAt ?? DEFAULT_LOOK_AT;
    worldFromCamera = { rotation: lookAtRotation(lookAt), translation: { ...lookAt.eye } };
  }
  return {
    intrinsics,
    worldFromCamera,
    cameraFromWorld: invertTransform(worldFromCamera),
    pose: { position: { ...worldFromCamera.translation }, orientation: mat3ToQuat(worldFromCamera.rotation) },
  };
}

/** Continuous pixel coordinates and optical depth of a world point (depth ≤ 0: behind the camera). */
export function projectPoint(camera: Camera, world: Vec3): { u: number; v: number; depth: number } {
  const p = transformPoint(camera.cameraFromWorld, world);
  const { fx, fy, cx, cy } = camera.intrinsics;
  return { u: (fx * p.x) / p.z + cx, v: (fy * p.y) / p.z + cy, depth: p.z };
}

/** World point seen at pixel (u, v) with optical depth `depth` (metres along the camera z axis). */
export function deprojectPixel(camera: Camera, u: number, v: number, depth: number): Vec3 {
  const { fx, fy, cx, cy } = camera.intrinsics;
  return transformPoint(
    camera.worldFromCamera,
    vec3(((u - cx) / fx) * depth, ((v - cy) / fy) * depth, depth),
  );
}

/** Unit viewing direction through pixel (u, v), in the world frame. */
export function pixelDirection(camera: Camera, u: number, v: number): Vec3 {
  const p = deprojectPixel(camera, u, v, 1);
  return normalize(sub(p, camera.worldFromCamera.translation));
}
