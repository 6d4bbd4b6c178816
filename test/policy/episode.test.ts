import {
  actionMessage,
  aggregateMetrics,
  episodeEnd,
  type EpisodeEvent,
  episodeMetrics,
} from '../../src/policy/episode';
import { rotateVector } from '../../src/geometry';
import { PushGraspActionConstants } from '../../src/msg';

const ev = (primitive: 'push' | 'grasp', success: boolean, objectsRemaining: number): EpisodeEvent => ({
  step: 0,
  primitive,
  success,
  outcome: success ? 'ok' : 'failed',
  objectsRemaining,
  q: 0.5,
  position: { x: 0, y: 0, z: 0 },
  angle: 0,
});

test('an episode ends when cleared, after more than 10 consecutive failures, or at the action limit', () => {
  expect(episodeEnd([], 5)).toBeNull();
  expect(episodeEnd([ev('grasp', true, 0)], 5)).toBe('cleared');
  const ten = Array.from({ length: 10 }, () => ev('grasp', false, 3));
  expect(episodeEnd(ten, 50)).toBeNull(); // 10 is not more than 10
  expect(episodeEnd([...ten, ev('push', false, 3)], 50)).toBe('failures');
  expect(episodeEnd([...ten, ev('push', true, 3), ev('grasp', false, 3)], 50)).toBeNull(); // a success resets
  expect(episodeEnd([ev('push', true, 3), ev('push', true, 3)], 2)).toBe('action-limit');
});

test('metrics follow from the events (VPG definitions)', () => {
  const events = [ev('push', true, 3), ev('grasp', false, 3), ev('grasp', true, 2), ev('grasp', true, 0)];
  // The last grasp took one object and another fell out of the bin: removed 3, grasped 2.
  const m = episodeMetrics(3, events, 'cleared');
  expect(m).toEqual({
    completed: true,
    end: 'cleared',
    objects: 3,
    objects_removed: 3,
    objects_grasped: 2,
    actions: 4,
    grasps: 3,
    pushes: 1,
    grasp_success: 2 / 3,
    action_efficiency: 2 / 4,
  });
  expect(episodeMetrics(3, [], 'nothing-admissible')).toMatchObject({
    grasp_success: null,
    action_efficiency: null,
  });
  const agg = aggregateMetrics([m, episodeMetrics(2, [ev('grasp', false, 2)], 'failures')]);
  expect(agg).toEqual({
    runs: 2,
    completion: 0.5,
    grasp_success: 2 / 4,
    action_efficiency: 2 / 5,
    actions_mean: 2.5,
    objects_removed_mean: 1.5,
  });
});

test('actionMessage: the z axis of a grasp is its approach, a push carries its direction as yaw', () => {
  const header = { stamp: { sec: 1, nanosec: 0 }, frame_id: 'world' };
  const base = { rotation: 0, i: 0, j: 0, col: 3, row: 4, q: 0.7, position: { x: 0.1, y: -0.1, z: 0.02 } };
  const approach = { x: 0.6, y: 0, z: -0.8 };
  const g = actionMessage({ ...base, primitive: 'grasp', angle: 0, approach }, header, 0.1);
  expect(g).toMatchObject({ type: PushGraspActionConstants.GRASP, push_length: 0, u: 3, v: 4 });
  const z = rotateVector(g.pose.orientation, { x: 0, y: 0, z: 1 });
  expect([z.x, z.y, z.z].map((v) => +v.toFixed(6))).toEqual([0.6, 0, -0.8]);
  const p = actionMessage(
    { ...base, primitive: 'push', rotation: 2, angle: Math.PI / 2, approach: { x: 0, y: 0, z: -1 } },
    header,
    0.1,
  );
  expect(p).toMatchObject({ type: PushGraspActionConstants.PUSH, push_length: 0.1, angle: Math.PI / 2 });
  expect(p.pose.orientation.z).toBeCloseTo(Math.SQRT1_2);
  expect(p.pose.orientation.w).toBeCloseTo(Math.SQRT1_2);
});
