import {
  IDENTITY_QUATERNION,
  invertQuaternion,
  multiplyQuaternions,
  normalizeQuaternion,
  type Quat,
  quaternionToMatrix,
  rotateVector,
  slerp,
} from './quaternion';
import { addVectors, lerpVectors, scaleVector, type Vec3 } from './vector';

/** geometry_msgs/Transform: maps a point p in the child frame to rotation·p + translation in the parent. */
export interface RigidTransform {
  translation: Vec3;
  rotation: Quat;
}

/** geometry_msgs/Pose. */
export interface PoseLike {
  position: Vec3;
  orientation: Quat;
}

export const IDENTITY_TRANSFORM: Readonly<RigidTransform> = Object.freeze({
  translation: Object.freeze({ x: 0, y: 0, z: 0 }),
  rotation: IDENTITY_QUATERNION,
});

/** a ∘ b, i.e. b applied first: T_a_c = composeTransforms(T_a_b, T_b_c). */
export function composeTransforms(a: RigidTransform, b: RigidTransform): RigidTransform {
  return {
    translation: addVectors(a.translation, rotateVector(a.rotation, b.translation)),
    rotation: normalizeQuaternion(multiplyQuaternions(a.rotation, b.rotation)),
  };
}

/** T_b_a from T_a_b. */
export function inverseTransform(t: RigidTransform): RigidTransform {
  const rotation = invertQuaternion(t.rotation);
  return { translation: scaleVector(rotateVector(rotation, t.translation), -1), rotation };
}

/** A point expressed in the transform's child frame, expressed in its parent frame. */
export function transformPoint(t: RigidTransform, p: Vec3): Vec3 {
  return addVectors(t.translation, rotateVector(t.rotation, p));
}

/** A direction (no translation), e.g. a surface normal or an approach vector. */
export function transformDirection(t: RigidTransform, v: Vec3): Vec3 {
  return rotateVector(t.rotation, v);
}

export function transformPose(t: RigidTransform, pose: PoseLike): PoseLike {
  return {
    position: transformPoint(t, pose.position),
    orientation: normalizeQuaternion(multiplyQuaternions(t.rotation, pose.orientation)),
  };
}

/** Linear translation, slerp rotation, as tf2 interpolates between two samples. */
export function interpolateTransforms(a: RigidTransform, b: RigidTransform, ratio: number): RigidTransform {
  return {
    translation: lerpVectors(a.translation, b.translation, ratio),
    rotation: slerp(a.rotation, b.rotation, ratio),
  };
}

/** The pose of the child frame's origin and axes in the parent: the same numbers as the transform. */
export const transformToPose = (t: RigidTransform): PoseLike => ({
  position: { ...t.translation },
  orientation: { ...t.rotation },
});

export const poseToTransform = (p: PoseLike): RigidTransform => ({
  translation: { ...p.position },
  rotation: { ...p.orientation },
});

/** Row-major 4×4 homogeneous matrix. */
export function transformToMatrix(t: RigidTransform): number[] {
  const r = quaternionToMatrix(t.rotation);
  const { x, y, z } = t.translation;
  // prettier-ignore
  return [
    r[0], r[1], r[2], x,
    r[3], r[4], r[5], y,
    r[6], r[7], r[8], z,
    0, 0, 0, 1,
  ];
}
