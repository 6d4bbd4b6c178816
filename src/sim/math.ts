// Small rigid-body math for the simulator, on geometry_msgs-shaped plain objects. Kept private to
// src/sim so the simulator does not depend on modules that are still being written.
import { type Rng } from './random';

export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

/** Hamilton quaternion, x y z vector part, w scalar (geometry_msgs/Quaternion, rapier). */
export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** geometry_msgs/Pose shape: the transform parent-from-child. */
export interface Pose {
  position: Vec3;
  orientation: Quat;
}

/** Row-major 3×3 rotation [r00, r01, r02, r10, …, r22]. */
export type Mat3 = readonly number[];

/** to-from transform: p_to = rotation · p_from + translation. */
export interface RigidTransform {
  rotation: Mat3;
  translation: Vec3;
}

export const vec3 = (x: number, y: number, z: number): Vec3 => ({ x, y, z });
export const IDENTITY_QUAT: Readonly<Quat> = Object.freeze({ x: 0, y: 0, z: 0, w: 1 });

export const add = (a: Vec3, b: Vec3): Vec3 => vec3(a.x + b.x, a.y + b.y, a.z + b.z);
export const sub = (a: Vec3, b: Vec3): Vec3 => vec3(a.x - b.x, a.y - b.y, a.z - b.z);
export const scale = (a: Vec3, s: number): Vec3 => vec3(a.x * s, a.y * s, a.z * s);
export const dot = (a: Vec3, b: Vec3): number => a.x * b.x + a.y * b.y + a.z * b.z;
export const cross = (a: Vec3, b: Vec3): Vec3 =>
  vec3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x);
export const norm = (a: Vec3): number => Math.sqrt(dot(a, a));

export function normalize(a: Vec3): Vec3 {
  const n = norm(a);
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError(`cannot normalise (${a.x}, ${a.y}, ${a.z})`);
  return scale(a, 1 / n);
}

export function normalizeQuat(q: Quat): Quat {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (!(n > 0) || !Number.isFinite(n)) throw new RangeError('cannot normalise a zero quaternion');
  return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
}

/** a · b: rotation b first, then a. */
export function multiplyQuat(a: Quat, b: Quat): Quat {
  return {
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
  };
}

export function quatFromAxisAngle(axis: Vec3, angle: number): Quat {
  const u = normalize(axis);
  const s = Math.sin(angle / 2);
  return { x: u.x * s, y: u.y * s, z: u.z * s, w: Math.cos(angle / 2) };
}

/** Fixed-axis roll (x), pitch (y), yaw (z), applied in that order (ROS RPY convention). */
export function quatFromRpy(roll: number, pitch: number, yaw: number): Quat {
  const qx = quatFromAxisAngle(vec3(1, 0, 0), roll);
  const qy = quatFromAxisAngle(vec3(0, 1, 0), pitch);
  const qz = quatFromAxisAngle(vec3(0, 0, 1), yaw);
  return multiplyQuat(qz, multiplyQuat(qy, qx));
}

/** Uniformly distributed rotation (Shoemake 1992). */
export function randomQuat(rng: Rng): Quat {
  const u1 = rng.next();
  const u2 = rng.next() * 2 * Math.PI;
  const u3 = rng.next() * 2 * Math.PI;
  const a = Math.sqrt(1 - u1);
  const b = Math.sqrt(u1);
  return { x: a * Math.sin(u2), y: a * Math.cos(u2), z: b * Math.sin(u3), w: b * Math.cos(u3) };
}

export function quatToMat3(q: Quat): number[] {
  const { x, y, z, w } = normalizeQuat(q);
  return [
    1 - 2 * (y * y + z * z),
    2 * (x * y - z * w),
    2 * (x * z + y * w),
    2 * (x * y + z * w),
    1 - 2 * (x * x + z * z),
    2 * (y * z - x * w),
    2 * (x * z - y * w),
    2 * (y * z + x * w),
    1 - 2 * (x * x + y * y),
  ];
}

export function mat3ToQuat(m: Mat3): Quat {
  const trace = m[0] + m[4] + m[8];
  let q: Quat;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    q = { w: s / 4, x: (m[7] - m[5]) / s, y: (m[2] - m[6]) / s, z: (m[3] - m[1]) / s };
  } else if (m[0] > m[4] && m[0] > m[8]) {
    const s = Math.sqrt(1 + m[0] - m[4] - m[8]) * 2;
    q = { w: (m[7] - m[5]) / s, x: s / 4, y: (m[1] + m[3]) / s, z: (m[2] + m[6]) / s };
  } else if (m[4] > m[8]) {
    const s = Math.sqrt(1 + m[4] - m[0] - m[8]) * 2;
    q = { w: (m[2] - m[6]) / s, x: (m[1] + m[3]) / s, y: s / 4, z: (m[5] + m[7]) / s };
  } else {
    const s = Math.sqrt(1 + m[8] - m[0] - m[4]) * 2;
    q = { w: (m[3] - m[1]) / s, x: (m[2] + m[6]) / s, y: (m[5] + m[7]) / s, z: s / 4 };
  }
  return normalizeQuat(q.w < 0 ? { x: -q.x, y: -q.y, z: -q.z, w: -q.w } : q);
}

export function rotate(m: Mat3, v: Vec3): Vec3 {
  return vec3(
    m[0] * v.x + m[1] * v.y + m[2] * v.z,
    m[3] * v.x + m[4] * v.y + m[5] * v.z,
    m[6] * v.x + m[7] * v.y + m[8] * v.z,
  );
}

export function transpose(m: Mat3): number[] {
  return [m[0], m[3], m[6], m[1], m[4], m[7], m[2], m[5], m[8]];
}

export function multiplyMat3(a: Mat3, b: Mat3): number[] {
  const out = new Array<number>(9);
  for (let r = 0; r < 3; r++) {
    for (let c = 0; c < 3; c++) {
      out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
    }
  }
  return out;
}

export function transformPoint(t: RigidTransform, p: Vec3): Vec3 {
  return add(rotate(t.rotation, p), t.translation);
}

export function invertTransform(t: RigidTransform): RigidTransform {
  const rt = transpose(t.rotation);
  return { rotation: rt, translation: scale(rotate(rt, t.translation), -1) };
}

export function poseToTransform(pose: Pose): RigidTransform {
  return { rotation: quatToMat3(pose.orientation), translation: { ...pose.position } };
}

export function transformToPose(t: RigidTransform): Pose {
  return { position: { ...t.translation }, orientation: mat3ToQuat(t.rotation) };
}

/** Rotation angle between two orientations, radians in [0, π]. */
export function quatAngle(a: Quat, b: Quat): number {
  const d = Math.abs(a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w);
  return 2 * Math.acos(Math.min(1, d));
}
