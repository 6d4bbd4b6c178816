// A picking episode and its metrics under VPG's test protocol (exploration off): the bin is cleared
// when every object is gone; an episode ends early after more than 10 consecutive failures (a grasp that
// lifts nothing, or a push that does not change the scene) or at an action limit. The evaluator, the
// demo and its report compute metrics from the same event list with `episodeMetrics`.
import { quaternionFromYaw, quaternionFromZAxis } from '../geometry';
import { type Header, type PushGraspAction, PushGraspActionConstants } from '../msg';
import { type PolicyAction } from './actions';

/** VPG: more than this many consecutive failures ends a run as not completed. */
export const MAX_CONSECUTIVE_FAILURES = 10;

export interface EpisodeEvent {
  step: number;
  primitive: 'push' | 'grasp';
  /** Grasp: the object was lifted. Push: the scene changed (VPG's criterion). */
  success: boolean;
  outcome: string;
  objectsRemaining: number;
  q: number;
  position: { x: number; y: number; z: number };
  angle: number;
}

export type EpisodeEnd = 'cleared' | 'failures' | 'action-limit' | 'nothing-admissible';

export interface EpisodeMetrics {
  completed: boolean;
  end: EpisodeEnd;
  objects: number;
  objects_removed: number;
  objects_grasped: number;
  actions: number;
  grasps: number;
  pushes: number;
  /** Successful grasps / grasp attempts (null without attempts). */
  grasp_success: number | null;
  /** Objects grasped / actions (VPG: objects / actions). */
  action_efficiency: number | null;
}

/** Why an episode stops after these events, or null while it should go on. */
export function episodeEnd(
  events: readonly EpisodeEvent[],
  maxActions: number,
  maxFailures = MAX_CONSECUTIVE_FAILURES,
): EpisodeEnd | null {
  const last = events.at(-1);
  if (last && last.objectsRemaining === 0) return 'cleared';
  let run = 0;
  for (let i = events.length - 1; i >= 0 && !events[i].success; i--) run++;
  if (run > maxFailures) return 'failures';
  if (events.length >= maxActions) return 'action-limit';
  return null;
}

export function episodeMetrics(
  objects: number,
  events: readonly EpisodeEvent[],
  end: EpisodeEnd,
): EpisodeMetrics {
  const grasps = events.filter((e) => e.primitive === 'grasp');
  const grasped = grasps.filter((e) => e.success).length;
  const remaining = events.at(-1)?.objectsRemaining ?? objects;
  return {
    completed: end === 'cleared',
    end,
    objects,
    objects_removed: objects - remaining,
    objects_grasped: grasped,
    actions: events.length,
    grasps: grasps.length,
    pushes: events.length - grasps.length,
    grasp_success: grasps.length > 0 ? grasped / grasps.length : null,
    action_efficiency: events.length > 0 ? grasped / events.length : null,
  };
}

const mean = (xs: readonly number[]): number | null =>
  xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

/** Over runs: completion rate, and grasp success / efficiency pooled over all attempts (VPG's means). */
export function aggregateMetrics(runs: readonly EpisodeMetrics[]): {
  runs: number;
  completion: number | null;
  grasp_success: number | null;
  action_efficiency: number | null;
  actions_mean: number | null;
  objects_removed_mean: number | null;
} {
  const sum = (f: (m: EpisodeMetrics) => number) => runs.reduce((a, m) => a + f(m), 0);
  const grasps = sum((m) => m.grasps);
  const actions = sum((m) => m.actions);
  return {
    runs: runs.length,
    completion: mean(runs.map((m) => (m.completed ? 1 : 0))),
    grasp_success: grasps > 0 ? sum((m) => m.objects_grasped) / grasps : null,
    action_efficiency: actions > 0 ? sum((m) => m.objects_grasped) / actions : null,
    actions_mean: mean(runs.map((m) => m.actions)),
    objects_removed_mean: mean(runs.map((m) => m.objects_removed)),
  };
}

/** The PushGraspAction message of a policy action (pose in the heightmap's world frame). */
export function actionMessage(a: PolicyAction, header: Header, pushLength: number): PushGraspAction {
  const grasp = a.primitive === 'grasp';
  return {
    header,
    type: grasp ? PushGraspActionConstants.GRASP : PushGraspActionConstants.PUSH,
    // A grasp's z axis is its approach into the surface; a push carries its direction as yaw.
    pose: {
      position: { ...a.position },
      orientation: grasp ? quaternionFromZAxis(a.approach) : quaternionFromYaw(a.angle),
    },
    push_length: grasp ? 0 : pushLength,
    q_value: a.q,
    u: a.col,
    v: a.row,
    angle: a.angle,
  };
}
