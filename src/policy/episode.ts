// A picking episode and its metrics under VPG's test protocol (exploration off): an episode completes
// when every object was grasped, ending early after more than 10 consecutive failures (a grasp that
// lifts nothing, or a push that does not change the scene) or at an action limit. An object that leaves
// the workspace other than by a grasp (pushed out of the bin, or falling out when another is lifted) is
// lost: on a real cell it is on the floor, so a bin emptied that way is not completed. The evaluator,
// the demo and its report compute metrics from the same event list with `episodeMetrics`.
import { wilsonInterval } from '../stats';
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
  /** Every object grasped (the bin cleared, none lost) without more than 10 consecutive failures. */
  completed: boolean;
  end: EpisodeEnd;
  objects: number;
  /** Objects no longer in the workspace: grasped + lost. */
  objects_removed: number;
  objects_grasped: number;
  /** Objects that left the workspace other than by a successful grasp. */
  objects_lost: number;
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
    completed: end === 'cleared' && grasped === objects,
    end,
    objects,
    objects_removed: objects - remaining,
    objects_grasped: grasped,
    objects_lost: objects - remaining - grasped,
    actions: events.length,
    grasps: grasps.length,
    pushes: events.length - grasps.length,
    grasp_success: grasps.length > 0 ? grasped / grasps.length : null,
    action_efficiency: events.length > 0 ? grasped / events.length : null,
  };
}

const mean = (xs: readonly number[]): number | null =>
  xs.length > 0 ? xs.reduce((a, b) => a + b, 0) / xs.length : null;

export interface AggregateMetrics {
  runs: number;
  completion: number | null;
  /** Wilson 95 % interval of the completion rate over runs. */
  completion_ci95: [number, number] | null;
  grasp_success: number | null;
  /** Wilson 95 % interval over the pooled grasp attempts (treats attempts as independent). */
  grasp_success_ci95: [number, number] | null;
  action_efficiency: number | null;
  actions_mean: number | null;
  objects_removed_mean: number | null;
  objects: number;
  /** Objects lost over all runs, and as a share of all objects. */
  objects_lost: number;
  objects_lost_rate: number | null;
}

/** Over runs: completion rate, and grasp success / efficiency pooled over all attempts (VPG's means). */
export function aggregateMetrics(runs: readonly EpisodeMetrics[]): AggregateMetrics {
  const sum = (f: (m: EpisodeMetrics) => number) => runs.reduce((a, m) => a + f(m), 0);
  const grasps = sum((m) => m.grasps);
  const actions = sum((m) => m.actions);
  const grasped = sum((m) => m.objects_grasped);
  const completed = sum((m) => (m.completed ? 1 : 0));
  const objects = sum((m) => m.objects);
  const lost = sum((m) => m.objects_lost);
  return {
    runs: runs.length,
    completion: mean(runs.map((m) => (m.completed ? 1 : 0))),
    completion_ci95: runs.length > 0 ? wilsonInterval(completed, runs.length) : null,
    grasp_success: grasps > 0 ? grasped / grasps : null,
    grasp_success_ci95: grasps > 0 ? wilsonInterval(grasped, grasps) : null,
    action_efficiency: actions > 0 ? grasped / actions : null,
    actions_mean: mean(runs.map((m) => m.actions)),
    objects_removed_mean: mean(runs.map((m) => m.objects_removed)),
    objects,
    objects_lost: lost,
    objects_lost_rate: objects > 0 ? lost / objects : null,
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
