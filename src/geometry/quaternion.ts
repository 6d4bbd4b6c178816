import { cross, dot, normalizeVector, scaleVector, subtractVectors, type Vec3, vec3 } from './vector';

/** geometry_msgs/Quaternion: x, y, z vector part, w scalar part (Hamilton convention, as tf2). */
export interface Quat {
  x: number;
  y: number;
  z: number;
  w: number;
}

/** Row-major 3×3 matrix: [m00, m01, m02, m10, m11, m12, m20, m21, m22]. */
export type Matrix3 = readonly number[];

export const IDENTITY_QUATERNION: Readonly<Quat> = Object.freeze({ x: 0, y: 0, z: 0, w: 1 });

/** a * b: the rotation b followed by a. */
export function multiplyQuaternions(a: Quat, b: Quat): Quat {
  return {
    x: a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
    y: a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
    z: a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
    w: a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z,
  };
}

export function normalizeQuaternion(q: Quat): Quat {
  const n = Math.hypot(q.x, q.y, q.z, q.w);
  if (!(n > 0) || !Number.isFinite(n)) {
    throw new RangeError(`cannot normalise quaternion (${q.x}, ${q.y}, ${q.z}, ${q.w})`);
  }
  return { x: q.x / n, y: q.y / n, z: q.z / n, w: q.w / n };
}

export function invertQuaternion(q: Quat): Quat {
  const n2 = q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w;
  if (!(n2 > 0)) throw new RangeError('cannot invert a zero quaternion');
  return { x: -q.x / n2, y: -q.y / n2, z: -q.z / n2, w: q.w / n2 };
}

/** Rotates v by the unit quaternion q (q v q*). */
export function rotateVector(q: Quat, v: Vec3): Vec3 {
  // v' = v + w t + u × t with t = 2 u × v: fewer operations than two quaternion products.
  const tx = 2 * (q.y * v.z - q.z * v.y);
  const ty = 2 * (q.z * v.x - q.x * v.z);
  const tz = 2 * (q.x * v.y - q.y * v.x);
  return {
    x: v.x + q.w * tx + (q.y * tz - q.z * ty),
    y: v.y + q.w * ty + (q.z * tx - q.x * tz),
    z: v.z + q.w * tz + (q.x * ty - q.y * tx),
  };
}

/** Rotation by `angle` radians about `axis` (any non-zero length; right-hand rule). */
export function quaternionFromAxisAngle(axis: Vec3, angle: number): Quat {
  const a = normalizeVector(axis);
  const s = Math.sin(angle / 2);
  return { x: a.x * s, y: a.y * s, z: a.z * s, w: Math.cos(angle / 2) };
}

/** Rotation about z, as tf2's setRPY(0, 0, yaw). */
export const quaternionFromYaw = (yaw: number): Quat => ({
  x: 0,
  y: 0,
  z: Math.sin(yaw / 2),
  w: Math.cos(yaw / 2),
});

/** tf2's setRPY: roll about x, then pitch about y, then yaw about z, all about fixed axes. */
export function quaternionFromRpy(roll: number, pitch: number, yaw: number): Quat {
  const [sr, cr] = [Math.sin(roll / 2), Math.cos(roll / 2)];
  const [sp, cp] = [Math.sin(pitch / 2), Math.cos(pitch / 2)];
  const [sy, cy] = [Math.sin(yaw / 2), Math.cos(yaw / 2)];
  return {
    x: sr * cp * cy - cr * sp * sy,
    y: cr * sp * cy + sr * cp * sy,
    z: cr * cp * sy - sr * sp * cy,
    w: cr * cp * cy + sr * sp * sy,
  };
}

/** The yaw of tf2's getRPY (heading about z), in (-π, π]. */
export function yawFromQuaternion(q: Quat): number {
  return Math.atan2(2 * (q.w * q.z + q.x * q.y), 1 - 2 * (q.y * q.y + q.z * q.z));
}

/** Row-major 3×3 rotation matrix of a unit quaternion. */
export function quaternionToMatrix(q: Quat): number[] {
  const { x, y, z, w } = q;
  // prettier-ignore
  return [
    1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
    2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
    2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
  ];
}

/**
 * From a row-major 3×3 rotation matrix. Shepperd's method picks the largest of w, x, y, z to divide
 * by, so it is accurate for every rotation (including 180° turns, where the trace formula fails).
 */
export function quaternionFromMatrix(m: Matrix3): Quat {
  if (m.length !== 9 || !m.every(Number.isFinite)) {
    throw new RangeError(`expected 9 finite numbers (row-major 3x3), got [${m.join(', ')}]`);
  }
  const [m00, m01, m02, m10, m11, m12, m20, m21, m22] = m;
  const trace = m00 + m11 + m22;
  let q: Quat;
  if (trace > 0) {
    const s = 2 * Math.sqrt(trace + 1);
    q = { w: s / 4, x: (m21 - m12) / s, y: (m02 - m20) / s, z: (m10 - m01) / s };
  } else if (m00 > m11 && m00 > m22) {
    const s = 2 * Math.sqrt(1 + m00 - m11 - m22);
    q = { w: (m21 - m12) / s, x: s / 4, y: (m01 + m10) / s, z: (m02 + m20) / s };
  } else if (m11 > m22) {
    const s = 2 * Math.sqrt(1 + m11 - m00 - m22);
    q = { w: (m02 - m20) / s, x: (m01 + m10) / s, y: s / 4, z: (m12 + m21) / s };
  } else {
    const s = 2 * Math.sqrt(1 + m22 - m00 - m11);
    q = { w: (m10 - m01) / s, x: (m02 + m20) / s, y: (m12 + m21) / s, z: s / 4 };
  }
  return normalizeQuaternion(q);
}

/** Above this |cos| between the x hint and z the hint is too close to z to define x well. */
const PARALLEL_HINT_COS = 0.99;

/**
 * An orientation whose z axis is `zAxis` (e.g. a suction cup's approach direction; any non-zero
 * length). Its x axis is `xHint` (default +x) projected onto the plane normal to z; when the hint is
 * nearly parallel to z the world axis least aligned with z is used instead, so every direction,
 * ±x, ±y, ±z included, gives a well-conditioned, exactly orthonormal frame.
 */
export function quaternionFromZAxis(zAxis: Vec3, xHint: Vec3 = vec3(1, 0, 0)): Quat {
  const z = normalizeVector(zAxis);
  let hint = normalizeVector(xHint);
  if (Math.abs(dot(hint, z)) > PARALLEL_HINT_COS) {
    const [ax, ay, az] = [Math.abs(z.x), Math.abs(z.y), Math.abs(z.z)];
    hint = ax <= ay && ax <= az ? vec3(1, 0, 0) : ay <= az ? vec3(0, 1, 0) : vec3(0, 0, 1);
  }
  const x = normalizeVector(subtractVectors(hint, scaleVector(z, dot(hint, z))));
  const y = cross(z, x);
  return quaternionFromMatrix([x.x, y.x, z.x, x.y, y.y, z.y, x.z, y.z, z.z]);
}

/**
 * Spherical linear interpolation along the shorter arc (q and -q are the same rotation): a at
 * ratio 0, b at ratio 1.
 */
export function slerp(a: Quat, b: Quat, ratio: number): Quat {
  let cosTheta = a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w;
  const sign = cosTheta < 0 ? -1 : 1;
  cosTheta *= sign;
  let wa: number;
  let wb: number;
  if (cosTheta > 0.9995) {
    // Nearly the same rotation: sin θ → 0, so interpolate linearly and renormalise.
    wa = 1 - ratio;
    wb = ratio;
  } else {
    const theta = Math.acos(cosTheta);
    const sinTheta = Math.sin(theta);
    wa = Math.sin((1 - ratio) * theta) / sinTheta;
    wb = Math.sin(ratio * theta) / sinTheta;
  }
  wb *= sign;
  return normalizeQuaternion({
    x: wa * a.x + wb * b.x,
    y: wa * a.y + wb * b.y,
    z: wa * a.z + wb * b.z,
    w: wa * a.w + wb * b.w,
  });
}

/** The angle in [0, π] of the rotation that takes a to b (unit quaternions). */
export function angleBetweenQuaternions(a: Quat, b: Quat): number {
  const d = multiplyQuaternions(invertQuaternion(a), b);
  return 2 * Math.atan2(Math.hypot(d.x, d.y, d.z), Math.abs(d.w));
}
