import {
  actionMessage,
  aggregateMetrics,
  episodeEnd,
  type EpisodeEvent,
  episodeMetrics,
} from '../../src/policy/episode';
import { rotateVector } from '../../src/geometry';
import { BinPickingSim, executeAction, parseScenario } from '../../src/sim';
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
  // The last grasp took one object and another fell out of the bin: removed 3, grasped 2, lost 1, so
  // the bin is empty but the episode did not complete (VPG counts grasped objects).
  const m = episodeMetrics(3, events, 'cleared');
  expect(m).toEqual({
    completed: false,
    end: 'cleared',
    objects: 3,
    objects_removed: 3,
    objects_grasped: 2,
    objects_lost: 1,
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
  const clean = [ev('grasp', true, 1), ev('grasp', true, 0)];
  expect(episodeMetrics(2, clean, 'cleared')).toMatchObject({ completed: true, objects_lost: 0 });
  const agg = aggregateMetrics([
    m,
    episodeMetrics(2, [ev('grasp', false, 2)], 'failures'),
    episodeMetrics(2, clean, 'cleared'),
  ]);
  expect(agg).toMatchObject({
    runs: 3,
    completion: 1 / 3,
    grasp_success: 4 / 6,
    action_efficiency: 4 / 7,
    objects: 7,
    objects_lost: 1,
    objects_lost_rate: 1 / 7,
  });
  expect(agg.actions_mean).toBeCloseTo(7 / 3);
  expect(agg.objects_removed_mean).toBeCloseTo(5 / 3);
  // Wilson 95 % intervals: completion 1 of 3, grasp success 4 of 6.
  expect(agg.completion_ci95!.map((v) => +v.toFixed(3))).toEqual([0.061, 0.792]);
  expect(agg.grasp_success_ci95!.map((v) => +v.toFixed(3))).toEqual([0.3, 0.903]);
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

test('a scripted episode whose push ejects an object: objects_lost 1, not completed', async () => {
  // A flat tray (no walls): a cube 3 cm from the edge is pushed 10 cm outward and falls off; the other
  // cube is grasped. The bin ends empty, but one object was lost, so the episode does not complete.
  const scenario = parseScenario({
    name: 'eject',
    bin: { wall_height: 0 },
    objects: [
      { shape: 'box', size: [0.05, 0.05, 0.05], position: [0.19, 0, 0.025] },
      { shape: 'box', size: [0.05, 0.05, 0.05], position: [-0.1, 0, 0.025] },
    ],
  });
  const sim = await BinPickingSim.fromScenario(scenario);
  try {
    const objects = sim.objectsRemaining;
    expect(objects).toBe(2);
    const header = { stamp: { sec: 0, nanosec: 0 }, frame_id: 'world' };
    const base = { rotation: 0, i: 0, j: 0, col: 0, row: 0, q: 1, approach: { x: 0, y: 0, z: -1 } };
    const script = [
      { ...base, primitive: 'push' as const, angle: 0, position: { x: 0.15, y: 0, z: 0 } },
      { ...base, primitive: 'grasp' as const, angle: 0, position: { x: -0.1, y: 0, z: 0.05 } },
    ];
    const events: EpisodeEvent[] = [];
    for (const a of script) {
      const r = executeAction(sim, actionMessage(a, header, 0.1));
      events.push({
        ...ev(a.primitive, a.primitive === 'grasp' ? r.success : r.sceneChanged, sim.objectsRemaining),
        outcome: r.outcome,
      });
    }
    expect(events.map((e) => [e.outcome, e.objectsRemaining])).toEqual([
      ['pushed', 1],
      ['grasped', 0],
    ]);
    const end = episodeEnd(events, 10);
    expect(end).toBe('cleared');
    expect(episodeMetrics(objects, events, end!)).toMatchObject({
      objects_removed: 2,
      objects_grasped: 1,
      objects_lost: 1,
      completed: false,
    });
  } finally {
    sim.dispose();
  }
});
