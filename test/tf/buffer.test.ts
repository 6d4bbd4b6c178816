import fc from 'fast-check';
import {
  angleBetweenQuaternions,
  composeTransforms,
  IDENTITY_QUATERNION,
  inverseTransform,
  normalizeQuaternion,
  quaternionFromAxisAngle,
  quaternionFromYaw,
  type RigidTransform,
  transformPoint,
  type Vec3,
  vec3,
  yawFromQuaternion,
} from '../../src/geometry';
import { type Time, type TransformStamped } from '../../src/msg';
import {
  ConnectivityError,
  ExtrapolationError,
  InvalidArgumentError,
  type InvalidTransformError,
  LookupError,
  TfBuffer,
  TransformError,
} from '../../src/tf';

const at = (sec: number): Time => ({
  sec: Math.floor(sec),
  nanosec: Math.round((sec - Math.floor(sec)) * 1e9),
});
const tf = (
  parent: string,
  child: string,
  sec: number,
  t: Vec3,
  rotation = IDENTITY_QUATERNION,
): TransformStamped => ({
  header: { stamp: at(sec), frame_id: parent },
  child_frame_id: child,
  transform: { translation: t, rotation },
});
const rigid = (t: Vec3, rotation = IDENTITY_QUATERNION): RigidTransform => ({ translation: t, rotation });
const expectVec = (a: Vec3, b: Vec3, eps = 1e-9) =>
  expect(Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z)).toBeLessThan(eps);
const expectTransform = (a: RigidTransform, b: RigidTransform, eps = 1e-9) => {
  expectVec(a.translation, b.translation, eps);
  expect(angleBetweenQuaternions(a.rotation, b.rotation)).toBeLessThan(eps * 10);
};
const caught = (f: () => unknown): unknown => {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
};

describe('TfBuffer: static trees', () => {
  const worldCamera = rigid(vec3(1, 0, 0.7), quaternionFromYaw(Math.PI / 2));
  const worldRobot = rigid(vec3(3, 0, 0));
  const robotTool = rigid(vec3(0, 0.5, 0.2), quaternionFromAxisAngle(vec3(1, 0, 0), 0.3));
  const buffer = () => {
    const b = new TfBuffer();
    b.setTransform(tf('world', 'camera', 0, worldCamera.translation, worldCamera.rotation), 'test', true);
    b.setTransform(tf('world', 'robot', 0, worldRobot.translation), 'test', true);
    // A tf1-style name: the leading '/' is dropped.
    b.setTransform(tf('/robot', '/tool', 0, robotTool.translation, robotTool.rotation), 'test', true);
    return b;
  };

  it('chains through the common parent, inverting the target side', () => {
    const b = buffer();
    const toolFromCamera = b.lookupTransform('tool', 'camera');
    const expected = composeTransforms(
      inverseTransform(composeTransforms(worldRobot, robotTool)),
      worldCamera,
    );
    expectTransform(toolFromCamera.transform, expected);
    expect(toolFromCamera.header).toEqual({ stamp: { sec: 0, nanosec: 0 }, frame_id: 'tool' });
    expect(toolFromCamera.child_frame_id).toBe('camera');
    expectTransform(b.lookupTransform('/camera', 'tool').transform, inverseTransform(expected));
    // The camera's x axis is world y: a point 1 m along it is at world (1, 1, 0.7).
    expectVec(b.transformPoint('world', 'camera', vec3(1, 0, 0)), vec3(1, 1, 0.7));
    // Parent to child and child to parent are both one link.
    expectTransform(b.lookupTransform('world', 'tool').transform, composeTransforms(worldRobot, robotTool));
    expectTransform(b.lookupTransform('tool', 'robot').transform, inverseTransform(robotTool));
  });

  it('transforms poses, stamped poses and answers identity for a frame to itself', () => {
    const b = buffer();
    const pose = { position: vec3(0, 0, 0.5), orientation: IDENTITY_QUATERNION };
    const inWorld = b.transformPose('world', 'camera', pose);
    expectVec(inWorld.position, vec3(1, 0, 1.2));
    expect(yawFromQuaternion(inWorld.orientation)).toBeCloseTo(Math.PI / 2, 12);
    const stamped = b.transformPoseStamped({ header: { stamp: at(4), frame_id: 'camera' }, pose }, 'world');
    expect(stamped.header).toEqual({ stamp: at(4), frame_id: 'world' });
    expectVec(stamped.pose.position, vec3(1, 0, 1.2));
    const self = b.lookupTransform('nowhere', '/nowhere', at(2));
    expect(self.transform).toEqual({ translation: vec3(0, 0, 0), rotation: { x: 0, y: 0, z: 0, w: 1 } });
    expect(self.header.stamp).toEqual(at(2));
  });

  it('reports unknown frames, empty ids and disconnected trees with tf2 wording', () => {
    const b = buffer();
    b.setTransform(tf('odom', 'base', 0, vec3(1, 0, 0)), 'test', true);
    const err = caught(() => b.lookupTransform('tool', 'base'));
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err).toBeInstanceOf(TransformError);
    expect((err as Error).message).toBe(
      "Could not find a connection between 'tool' and 'base' because they are not part of the same tree." +
        'Tf has two or more unconnected trees.',
    );
    expect(() => b.lookupTransform('tool', 'zzz')).toThrow(
      new LookupError('"zzz" passed to lookupTransform argument source_frame does not exist. '),
    );
    expect(() => b.lookupTransform('', 'tool')).toThrow(InvalidArgumentError);
    expect(() => b.lookupTransform('/', 'tool')).toThrow(
      'Invalid argument "/" passed to lookupTransform argument target_frame - in tf2 frame_ids cannot be empty',
    );
    expect(b.canTransform('tool', 'camera')).toBe(true);
    expect(b.canTransform('tool', 'base')).toBe(false);
    expect(b.canTransform('tool', 'zzz')).toBe(false);
    expect(b.allFrameNames()).toEqual(['base', 'camera', 'odom', 'robot', 'tool', 'world']);
  });

  it('detects a loop instead of walking forever', () => {
    const b = new TfBuffer();
    b.setTransform(tf('a', 'c', 0, vec3(1, 0, 0)), 'test', true);
    b.setTransform(tf('b', 'a', 0, vec3(1, 0, 0)), 'test', true);
    b.setTransform(tf('a', 'b', 0, vec3(1, 0, 0)), 'test', true);
    b.setTransform(tf('d', 'e', 0, vec3(1, 0, 0)), 'test', true);
    expect(() => b.lookupTransform('e', 'c')).toThrow('The tf tree is invalid because it contains a loop');
    expect(() => b.lookupTransform('e', 'c', at(1))).toThrow(LookupError);
  });
});

describe('TfBuffer: dynamic transforms over time', () => {
  it('interpolates between the two nearest samples: linear translation, slerp rotation', () => {
    const b = new TfBuffer();
    b.setTransform(tf('odom', 'base', 10, vec3(0, 0, 0), quaternionFromYaw(0)), 'a');
    b.setTransform(tf('odom', 'base', 14, vec3(4, -2, 0), quaternionFromYaw(1)), 'a');
    b.setTransform(tf('odom', 'base', 12, vec3(2, -1, 0), quaternionFromYaw(0.5)), 'a'); // arrives late
    const mid = b.lookupTransform('odom', 'base', at(11));
    expect(mid.header.stamp).toEqual(at(11));
    expectVec(mid.transform.translation, vec3(1, -0.5, 0));
    expect(yawFromQuaternion(mid.transform.rotation)).toBeCloseTo(0.25, 12);
    const quarter = b.lookupTransform('odom', 'base', at(13.5));
    expectVec(quarter.transform.translation, vec3(3.5, -1.75, 0));
    expect(yawFromQuaternion(quarter.transform.rotation)).toBeCloseTo(0.875, 12);
    // The inverse direction interpolates the same link.
    expectTransform(b.lookupTransform('base', 'odom', at(11)).transform, inverseTransform(mid.transform));
    // Exactly on a sample.
    expectVec(b.lookupTransform('odom', 'base', at(14)).transform.translation, vec3(4, -2, 0));
  });

  it('refuses to extrapolate beyond the tolerance, naming frames and times as tf2 does', () => {
    const b = new TfBuffer();
    b.setTransform(tf('map', 'odom', 0, vec3(0, 0, 0)), 'a', true);
    b.setTransform(tf('odom', 'base', 10, vec3(0, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 12, vec3(2, 0, 0)), 'a');
    const future = caught(() => b.lookupTransform('map', 'base', at(13.25)));
    expect(future).toBeInstanceOf(ExtrapolationError);
    expect((future as Error).message).toBe(
      'Lookup would require extrapolation into the future.  Requested time 13.250000 but the latest data is at ' +
        'time 12.000000, when looking up transform from frame [base] to frame [map]',
    );
    expect(future).toMatchObject({
      direction: 'future',
      frame: 'base',
      requested: at(13.25),
      available: at(12),
    });
    expect(() => b.lookupTransform('base', 'map', at(9))).toThrow(
      'Lookup would require extrapolation into the past.  Requested time 9.000000 but the earliest data is at ' +
        'time 10.000000, when looking up transform from frame [map] to frame [base]',
    );
    // Within the tolerance the nearest sample holds.
    expectVec(b.lookupTransform('map', 'base', at(12.4), 0.5).transform.translation, vec3(2, 0, 0));
    expectVec(b.lookupTransform('map', 'base', at(9.6), 0.5).transform.translation, vec3(0, 0, 0));
    expect(b.canTransform('map', 'base', at(12.6), 0.5)).toBe(false);
    expect(b.canTransform('map', 'base', at(12.6), 0.6)).toBe(true);
    // A single sample answers only at its own stamp.
    b.setTransform(tf('base', 'camera', 11, vec3(0, 0, 1)), 'a');
    expect(() => b.lookupTransform('map', 'camera', at(11.5))).toThrow(
      'Lookup would require extrapolation at time 11.500000, but only time 11.000000 is in the buffer, when ' +
        'looking up transform from frame [camera] to frame [map]',
    );
    expectVec(b.transformPoint('map', 'camera', vec3(0, 0, 0), at(11)), vec3(1, 0, 1));
  });

  it('time zero uses the latest time all links on the path share', () => {
    const b = new TfBuffer();
    b.setTransform(tf('world', 'map', 1, vec3(100, 0, 0)), 'a'); // above the common ancestor: not used
    b.setTransform(tf('map', 'odom', 5, vec3(0, 0, 0)), 'a');
    b.setTransform(tf('map', 'odom', 8, vec3(3, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 4, vec3(0, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 7, vec3(0, 1, 0)), 'a');
    b.setTransform(tf('base', 'camera', 0, vec3(0, 0, 1)), 'a', true);
    b.setTransform(tf('map', 'landmark', 6.5, vec3(0, 0, 0)), 'a');
    const t = b.lookupTransform('map', 'camera');
    expect(t.header.stamp).toEqual(at(7));
    expectVec(t.transform.translation, vec3(2, 1, 1));
    expect(b.getLatestCommonTime('map', 'camera')).toEqual(at(7));
    expect(b.getLatestCommonTime('landmark', 'camera')).toEqual(at(6.5));
    expect(b.getLatestCommonTime('odom', 'map')).toEqual(at(8));
    expect(b.lookupTransform('landmark', 'odom').header.stamp).toEqual(at(6.5));
    // Only static links: time zero.
    expect(b.getLatestCommonTime('base', 'camera')).toEqual(at(0));
    // A frame to itself at time zero: its own latest stamp.
    expect(b.lookupTransform('odom', 'odom').header.stamp).toEqual(at(8));
  });

  it('prunes samples older than the cache length behind the newest, and refuses older data', () => {
    const b = new TfBuffer({ cacheTimeSec: 2 });
    for (let s = 0; s <= 10; s++)
      expect(b.setTransform(tf('odom', 'base', s, vec3(s, 0, 0)), 'a')).toBe(true);
    expect(b.describeFrames()).toEqual([
      {
        frame: 'base',
        parent: 'odom',
        authority: 'a',
        isStatic: false,
        samples: 3,
        oldest: at(8),
        latest: at(10),
      },
    ]);
    expect(() => b.lookupTransform('odom', 'base', at(7))).toThrow(ExtrapolationError);
    expectVec(b.lookupTransform('odom', 'base', at(8.5)).transform.translation, vec3(8.5, 0, 0));
    expect(b.setTransform(tf('odom', 'base', 7.5, vec3(0, 0, 0)), 'a')).toBe(false); // tf2's TF_OLD_DATA
    expect(b.setTransform(tf('odom', 'base', 9.5, vec3(0, 0, 0)), 'a')).toBe(true); // late but kept
    expect(new TfBuffer().cacheTimeSec).toBe(10);
    expect(() => new TfBuffer({ cacheTimeSec: -1 })).toThrow(RangeError);
  });

  it('follows a frame re-parented over time without interpolating across the change', () => {
    const b = new TfBuffer();
    b.setTransform(tf('map', 'odom', 0, vec3(10, 0, 0)), 'a', true);
    b.setTransform(tf('odom', 'base', 1, vec3(1, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 3, vec3(3, 0, 0)), 'a');
    b.setTransform(tf('map', 'base', 5, vec3(50, 0, 0)), 'a');
    b.setTransform(tf('map', 'base', 7, vec3(70, 0, 0)), 'a');
    expectVec(b.transformPoint('map', 'base', vec3(0, 0, 0), at(2)), vec3(12, 0, 0));
    expectVec(b.transformPoint('map', 'base', vec3(0, 0, 0), at(4)), vec3(13, 0, 0)); // older sample holds
    expectVec(b.transformPoint('map', 'base', vec3(0, 0, 0), at(6)), vec3(60, 0, 0));
  });

  it('switching a link between static and dynamic replaces its history, as tf2', () => {
    const b = new TfBuffer();
    b.setTransform(tf('odom', 'base', 1, vec3(1, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 2, vec3(2, 0, 0)), 'a');
    b.setTransform(tf('odom', 'base', 0, vec3(5, 0, 0)), 'b', true);
    expectVec(b.transformPoint('odom', 'base', vec3(0, 0, 0), at(100)), vec3(5, 0, 0));
    expect(b.describeFrames()[0]).toMatchObject({ isStatic: true, authority: 'b', samples: 1 });
    b.clear(); // static links survive
    expect(b.canTransform('odom', 'base', at(3))).toBe(true);
  });
});

describe('TfBuffer: input validation and TFMessage ingestion', () => {
  it('refuses malformed transforms with tf2 codes and stores the rest of a message', () => {
    const b = new TfBuffer();
    const bad = (t: TransformStamped) => caught(() => b.setTransform(t, 'pub')) as InvalidTransformError;
    expect(bad(tf('a', '/a', 0, vec3(0, 0, 0))).code).toBe('TF_SELF_TRANSFORM');
    expect(bad(tf('a', '', 0, vec3(0, 0, 0))).code).toBe('TF_NO_CHILD_FRAME_ID');
    expect(bad(tf('', 'b', 0, vec3(0, 0, 0))).code).toBe('TF_NO_FRAME_ID');
    expect(bad(tf('a', 'b', 0, vec3(NaN, 0, 0))).code).toBe('TF_NAN_INPUT');
    const zero = { x: 0, y: 0, z: 0, w: 0 };
    expect(bad(tf('a', 'b', 0, vec3(0, 0, 0), zero)).message).toMatch(
      /^TF_DENORMALIZED_QUATERNION: Ignoring transform for child_frame_id "b" from authority "pub"/,
    );
    const result = b.ingestTfMessage(
      {
        transforms: [
          tf('a', 'b', 1, vec3(1, 0, 0)),
          tf('b', 'b', 1, vec3(1, 0, 0)),
          // Slightly off unit length is accepted (tf2's tolerance) and normalised.
          tf('b', 'c', 1, vec3(0, 1, 0), { x: 0, y: 0, z: 0, w: 1.002 }),
        ],
      },
      false,
    );
    expect(result.stored).toBe(2);
    expect(result.ignoredOld).toBe(0);
    expect(result.invalid.map((e) => e.code)).toEqual(['TF_SELF_TRANSFORM']);
    const ac = b.lookupTransform('a', 'c', at(1));
    expectVec(ac.transform.translation, vec3(1, 1, 0));
    expect(ac.transform.rotation.w).toBeCloseTo(1, 15);
    expect(b.describeFrames().map((f) => f.authority)).toEqual(['default_authority', 'default_authority']);
  });
});

describe('TfBuffer: property', () => {
  const unit = fc.double({ min: -1, max: 1, noNaN: true });
  const arbTransform = fc
    .tuple(unit, unit, unit, unit, unit, unit, unit)
    .filter(([, , , x, y, z, w]) => Math.hypot(x, y, z, w) > 0.1)
    .map(([tx, ty, tz, x, y, z, w]) => rigid(vec3(tx, ty, tz), normalizeQuaternion({ x, y, z, w })));
  // Frame i > 0 has parent parents[i] < i: a random tree rooted at frame 0.
  const arbTree = fc
    .integer({ min: 2, max: 8 })
    .chain((n) =>
      fc.tuple(
        fc.tuple(...Array.from({ length: n - 1 }, (_, i) => fc.nat(i))),
        fc.array(fc.tuple(arbTransform, arbTransform), { minLength: n - 1, maxLength: n - 1 }),
        fc.nat(n - 1),
        fc.nat(n - 1),
        fc.nat(n - 1),
        fc.double({ min: 0, max: 1, noNaN: true }),
      ),
    );

  it('lookups compose along any path and invert each other, static or interpolated', () => {
    fc.assert(
      fc.property(arbTree, ([parents, links, a, c, mid, ratio]) => {
        const b = new TfBuffer();
        parents.forEach((p, k) => {
          const [early, late] = links[k];
          const child = `f${k + 1}`;
          if (k % 2 === 0) {
            b.setTransform(tf(`f${p}`, child, 0, early.translation, early.rotation), 'x', true);
          } else {
            b.setTransform(tf(`f${p}`, child, 100, early.translation, early.rotation), 'x');
            b.setTransform(tf(`f${p}`, child, 101, late.translation, late.rotation), 'x');
          }
        });
        const time = at(100 + ratio);
        const look = (t: number, s: number) => b.lookupTransform(`f${t}`, `f${s}`, time).transform;
        const direct = look(a, c);
        expectTransform(composeTransforms(look(a, mid), look(mid, c)), direct, 1e-8);
        expectTransform(composeTransforms(direct, look(c, a)), rigid(vec3(0, 0, 0)), 1e-8);
        const p = vec3(0.3, -0.2, 0.5);
        expectVec(b.transformPoint(`f${a}`, `f${c}`, p, time), transformPoint(direct, p), 1e-12);
      }),
      { seed: 99, numRuns: 200 },
    );
  });
});
