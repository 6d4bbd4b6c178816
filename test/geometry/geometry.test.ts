import fc from 'fast-check';
import {
  angleBetweenQuaternions,
  composeTransforms,
  cross,
  dot,
  IDENTITY_QUATERNION,
  interpolateTransforms,
  inverseTransform,
  multiplyQuaternions,
  normalizeQuaternion,
  normalizeVector,
  type Quat,
  quaternionFromAxisAngle,
  quaternionFromMatrix,
  quaternionFromRpy,
  quaternionFromYaw,
  quaternionFromZAxis,
  quaternionToMatrix,
  type RigidTransform,
  rotateVector,
  slerp,
  transformDirection,
  transformPoint,
  transformPose,
  transformToMatrix,
  type Vec3,
  vec3,
  yawFromQuaternion,
} from '../../src/geometry';

const EPS = 1e-9;
const distance = (a: Vec3, b: Vec3) => Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
const expectVec = (a: Vec3, b: Vec3, eps = EPS) => expect(distance(a, b)).toBeLessThan(eps);
/** q and -q are the same rotation. */
const expectSameRotation = (a: Quat, b: Quat, eps = EPS) =>
  expect(angleBetweenQuaternions(a, b)).toBeLessThan(eps);

const unit = fc.double({ min: -1, max: 1, noNaN: true });
const arbQuat = fc
  .tuple(unit, unit, unit, unit)
  .filter(([x, y, z, w]) => Math.hypot(x, y, z, w) > 0.1)
  .map(([x, y, z, w]) => normalizeQuaternion({ x, y, z, w }));
const arbVec = fc.tuple(unit, unit, unit).map(([x, y, z]) => vec3(3 * x, 3 * y, 3 * z));
const arbDirection = arbVec.filter((v) => Math.hypot(v.x, v.y, v.z) > 1e-3);
const arbTransform = fc
  .tuple(arbVec, arbQuat)
  .map(([translation, rotation]): RigidTransform => ({ translation, rotation }));
const RUNS = { seed: 20240611, numRuns: 300 };

describe('quaternions', () => {
  it('rotate by axis-angle, yaw and roll-pitch-yaw with the right-hand rule', () => {
    expectVec(
      rotateVector(quaternionFromAxisAngle(vec3(0, 0, 2), Math.PI / 2), vec3(1, 0, 0)),
      vec3(0, 1, 0),
    );
    expectVec(
      rotateVector(quaternionFromAxisAngle(vec3(1, 0, 0), Math.PI / 2), vec3(0, 1, 0)),
      vec3(0, 0, 1),
    );
    expectSameRotation(quaternionFromYaw(0.7), quaternionFromAxisAngle(vec3(0, 0, 1), 0.7));
    expect(yawFromQuaternion(quaternionFromYaw(-2.5))).toBeCloseTo(-2.5, 12);
    // tf2 setRPY: fixed axes, roll first: R = Rz(yaw) Ry(pitch) Rx(roll).
    const [roll, pitch, yaw] = [0.3, -0.4, 1.1];
    const expected = multiplyQuaternions(
      quaternionFromAxisAngle(vec3(0, 0, 1), yaw),
      multiplyQuaternions(
        quaternionFromAxisAngle(vec3(0, 1, 0), pitch),
        quaternionFromAxisAngle(vec3(1, 0, 0), roll),
      ),
    );
    expectSameRotation(quaternionFromRpy(roll, pitch, yaw), expected);
    expect(yawFromQuaternion(quaternionFromRpy(roll, pitch, yaw))).toBeCloseTo(yaw, 12);
  });

  it('refuse to normalise zero vectors and quaternions', () => {
    expect(() => normalizeVector(vec3(0, 0, 0))).toThrow(RangeError);
    expect(() => quaternionFromAxisAngle(vec3(0, 0, 0), 1)).toThrow('cannot normalise vector (0, 0, 0)');
    expect(() => normalizeQuaternion({ x: 0, y: 0, z: 0, w: 0 })).toThrow(RangeError);
    expect(() => normalizeVector(vec3(NaN, 0, 1))).toThrow(RangeError);
  });

  it('matrix ↔ quaternion round-trips for any rotation, and the matrix is a rotation', () => {
    fc.assert(
      fc.property(arbQuat, arbVec, (q, p) => {
        const m = quaternionToMatrix(q);
        const mp = vec3(
          m[0] * p.x + m[1] * p.y + m[2] * p.z,
          m[3] * p.x + m[4] * p.y + m[5] * p.z,
          m[6] * p.x + m[7] * p.y + m[8] * p.z,
        );
        expectVec(mp, rotateVector(q, p));
        const det =
          m[0] * (m[4] * m[8] - m[5] * m[7]) -
          m[1] * (m[3] * m[8] - m[5] * m[6]) +
          m[2] * (m[3] * m[7] - m[4] * m[6]);
        expect(det).toBeCloseTo(1, 12);
        expectSameRotation(quaternionFromMatrix(m), q);
      }),
      RUNS,
    );
  });

  it('quaternionFromMatrix handles half turns (zero trace branches)', () => {
    for (const axis of [
      vec3(1, 0, 0),
      vec3(0, 1, 0),
      vec3(0, 0, 1),
      vec3(1, 1, 0),
      vec3(0, -1, 1),
      vec3(1, 1, 1),
    ]) {
      const q = quaternionFromAxisAngle(axis, Math.PI);
      expectSameRotation(quaternionFromMatrix(quaternionToMatrix(q)), q);
    }
    expectSameRotation(quaternionFromMatrix([1, 0, 0, 0, 1, 0, 0, 0, 1]), IDENTITY_QUATERNION);
    expect(() => quaternionFromMatrix([1, 0, 0])).toThrow('expected 9 finite numbers');
  });

  it('quaternionFromZAxis puts z along any approach, with an orthonormal frame', () => {
    const check = (approach: Vec3, hint?: Vec3) => {
      const q = quaternionFromZAxis(approach, hint);
      expect(Math.hypot(q.x, q.y, q.z, q.w)).toBeCloseTo(1, 14);
      const [x, y, z] = [vec3(1, 0, 0), vec3(0, 1, 0), vec3(0, 0, 1)].map((a) => rotateVector(q, a));
      expectVec(z, normalizeVector(approach), 1e-12);
      expectVec(cross(x, y), z, 1e-12);
      if (hint) {
        const h = normalizeVector(hint);
        if (Math.abs(dot(h, z)) < 0.99) expect(dot(x, h)).toBeGreaterThan(0);
      }
      return x;
    };
    for (const s of [1, -1]) {
      for (const axis of [vec3(s, 0, 0), vec3(0, s, 0), vec3(0, 0, s)]) check(axis);
    }
    fc.assert(
      fc.property(
        arbDirection,
        fc.option(arbDirection, { nil: undefined }),
        (a, hint) => void check(a, hint),
      ),
      RUNS,
    );
    // Straight down (robot base frame) and straight ahead (optical frame): x follows the default hint.
    expectVec(check(vec3(0, 0, -1)), vec3(1, 0, 0), 1e-12);
    expectVec(check(vec3(0, 0, 1)), vec3(1, 0, 0), 1e-12);
    // Small tilts give small changes: no flip near the common approach directions.
    expect(
      angleBetweenQuaternions(
        quaternionFromZAxis(vec3(0.001, 0, -1)),
        quaternionFromZAxis(vec3(0, 0.001, -1)),
      ),
    ).toBeLessThan(0.01);
  });

  it('slerp interpolates along the shorter arc at constant rate', () => {
    const a = quaternionFromYaw(0.2);
    const b = quaternionFromYaw(1.4);
    expectSameRotation(slerp(a, b, 0), a);
    expectSameRotation(slerp(a, b, 1), b);
    expect(yawFromQuaternion(slerp(a, b, 0.25))).toBeCloseTo(0.5, 12);
    // The same rotation written as -q still takes the short way.
    const negB = { x: -b.x, y: -b.y, z: -b.z, w: -b.w };
    expect(yawFromQuaternion(slerp(a, negB, 0.5))).toBeCloseTo(0.8, 12);
    expect(Math.abs(yawFromQuaternion(slerp(quaternionFromYaw(3), quaternionFromYaw(-3), 0.5)))).toBeCloseTo(
      Math.PI,
      9,
    );
    // Nearly equal inputs (the linear branch) stay unit length and in between.
    const c = quaternionFromYaw(1e-6);
    const mid = slerp(IDENTITY_QUATERNION, c, 0.5);
    expect(Math.hypot(mid.x, mid.y, mid.z, mid.w)).toBeCloseTo(1, 14);
    expect(yawFromQuaternion(mid)).toBeCloseTo(5e-7, 12);
    fc.assert(
      fc.property(arbQuat, arbQuat, fc.double({ min: 0, max: 1, noNaN: true }), (p, q, t) => {
        const total = angleBetweenQuaternions(p, q);
        const s = slerp(p, q, t);
        expect(angleBetweenQuaternions(p, s)).toBeCloseTo(t * total, 7);
        expect(angleBetweenQuaternions(s, q)).toBeCloseTo((1 - t) * total, 7);
      }),
      RUNS,
    );
  });
});

describe('rigid transforms', () => {
  it('compose applies the right-hand transform first', () => {
    const worldFromCamera: RigidTransform = {
      translation: vec3(1, 0, 0.5),
      rotation: quaternionFromYaw(Math.PI / 2),
    };
    const cameraFromTool: RigidTransform = { translation: vec3(0, 0, 0.2), rotation: IDENTITY_QUATERNION };
    const worldFromTool = composeTransforms(worldFromCamera, cameraFromTool);
    expectVec(transformPoint(worldFromTool, vec3(1, 0, 0)), vec3(1, 1, 0.7));
    expectVec(transformDirection(worldFromTool, vec3(1, 0, 0)), vec3(0, 1, 0));
  });

  it('compose, inverse and point mapping agree for arbitrary transforms', () => {
    fc.assert(
      fc.property(arbTransform, arbTransform, arbTransform, arbVec, (a, b, c, p) => {
        expectVec(transformPoint(composeTransforms(a, b), p), transformPoint(a, transformPoint(b, p)));
        expectVec(transformPoint(inverseTransform(a), transformPoint(a, p)), p);
        const identity = composeTransforms(a, inverseTransform(a));
        expectVec(identity.translation, vec3(0, 0, 0));
        expectSameRotation(identity.rotation, IDENTITY_QUATERNION, 1e-7);
        const left = composeTransforms(composeTransforms(a, b), c);
        const right = composeTransforms(a, composeTransforms(b, c));
        expectVec(left.translation, right.translation);
        expectSameRotation(left.rotation, right.rotation, 1e-7);
        const m = transformToMatrix(a);
        expectVec(
          vec3(
            m[0] * p.x + m[1] * p.y + m[2] * p.z + m[3],
            m[4] * p.x + m[5] * p.y + m[6] * p.z + m[7],
            m[8] * p.x + m[9] * p.y + m[10] * p.z + m[11],
          ),
          transformPoint(a, p),
        );
        expect(m.slice(12)).toEqual([0, 0, 0, 1]);
      }),
      RUNS,
    );
  });

  it('transforms poses and interpolates transforms', () => {
    const t: RigidTransform = { translation: vec3(0, 0, 1), rotation: quaternionFromYaw(Math.PI / 2) };
    const pose = transformPose(t, { position: vec3(1, 0, 0), orientation: quaternionFromYaw(0.1) });
    expectVec(pose.position, vec3(0, 1, 1));
    expect(yawFromQuaternion(pose.orientation)).toBeCloseTo(Math.PI / 2 + 0.1, 12);
    const mid = interpolateTransforms(
      { translation: vec3(0, 0, 0), rotation: IDENTITY_QUATERNION },
      { translation: vec3(2, -4, 6), rotation: quaternionFromYaw(1) },
      0.5,
    );
    expectVec(mid.translation, vec3(1, -2, 3));
    expect(yawFromQuaternion(mid.rotation)).toBeCloseTo(0.5, 12);
  });
});
