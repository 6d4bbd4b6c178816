// One PushGraspAction (pose in the world frame) executed in the simulator: what sim_node, the
// RL trainer's sim server and `eval policy` share, so every caller acts the same way.
import { rotateVector, yawFromQuaternion } from '../geometry';
import { type PushGraspAction, PushGraspActionConstants } from '../msg';
import { type BinPickingSim } from './sim';

/** Executes one PushGraspAction (pose in the world frame) and describes the outcome for SimStatus. */
export function executeAction(
  sim: BinPickingSim,
  a: PushGraspAction,
): { success: boolean; outcome: string; sceneChanged: boolean } {
  const p = a.pose.position;
  if (a.type === PushGraspActionConstants.GRASP) {
    // The pose's z axis is the approach direction into the surface.
    const approach = rotateVector(a.pose.orientation, { x: 0, y: 0, z: 1 });
    const r = sim.suctionGrasp({ x: p.x, y: p.y, z: p.z }, approach);
    return { success: r.success, outcome: r.outcome, sceneChanged: r.sceneChanged };
  }
  if (a.type === PushGraspActionConstants.PUSH) {
    const yaw = yawFromQuaternion(a.pose.orientation);
    const length = a.push_length > 0 ? a.push_length : 0.1;
    const r = sim.push({ x: p.x, y: p.y, z: p.z }, { x: Math.cos(yaw), y: Math.sin(yaw), z: 0 }, length);
    return {
      success: r.success,
      outcome: r.sceneChanged ? 'pushed' : 'pushed, no change',
      sceneChanged: r.sceneChanged,
    };
  }
  throw new RangeError(`unknown action type ${a.type} (PUSH=0, GRASP=1)`);
}
