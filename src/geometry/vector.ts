/** geometry_msgs/Vector3 or Point: any {x, y, z}. */
export interface Vec3 {
  x: number;
  y: number;
  z: number;
}

export const vec3 = (x: number, y: number, z: number): Vec3 => ({ x, y, z });
export const addVectors = (a: Vec3, b: Vec3): Vec3 => ({ x: a.x + b.x, y: a.y + b.y, z: a.z + b.z });
export const subtractVectors = (a: Vec3, b: Vec3): Vec3 => ({ x: a.x - b.x, y: a.y - b.y, z: a.z - b.z });
export const scaleVector = (a: Vec3, s: number): Vec3 => ({ x: a.x * s, y: a.y * s, z: a.z * s });
export const dot = (a: Vec3, b: Vec3): number => a.x * b.x + a.y * b.y + a.z * b.z;
export const cross = (a: Vec3, b: Vec3): Vec3 => ({
  x: a.y * b.z - a.z * b.y,
  y: a.z * b.x - a.x * b.z,
  z: a.x * b.y - a.y * b.x,
});
export const vectorNorm = (a: Vec3): number => Math.hypot(a.x, a.y, a.z);

export function normalizeVector(a: Vec3): Vec3 {
  const n = vectorNorm(a);
  if (!(n > 0) || !Number.isFinite(n))
    throw new RangeError(`cannot normalise vector (${a.x}, ${a.y}, ${a.z})`);
  return scaleVector(a, 1 / n);
}

/** Linear interpolation: a at ratio 0, b at ratio 1. */
export const lerpVectors = (a: Vec3, b: Vec3, ratio: number): Vec3 => ({
  x: a.x + (b.x - a.x) * ratio,
  y: a.y + (b.y - a.y) * ratio,
  z: a.z + (b.z - a.z) * ratio,
});
