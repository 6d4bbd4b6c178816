// `ros2 launch grasp_perception demo.launch.py` as an integrator runs it: five processes over DDS
// (sim, perception, segmentation, policy, executive). For each seed the episode must end on a VPG end
// that this test reads from sim_node's ~/status itself (bin cleared, failure limit or action limit) and
// the executive must report the same end: never a lost action/status handshake.
import { after, before, describe, it } from 'node:test';
import { expect } from 'expect';
import { qos } from '../../src/bus';
import { RclnodejsBus } from '../../src/bus/rclnodejs-bus';
import { PushGraspActionConstants, type SimStatus } from '../../src/msg';
import {
  type EpisodeEnd,
  episodeEnd,
  type EpisodeEvent,
  MAX_CONSECUTIVE_FAILURES,
} from '../../src/policy/episode';
import { poll, startProcess } from './processes';

const SEEDS = [1, 2, 3, 4, 5];
const OBJECTS = 10;
const EPISODE_TIMEOUT_MS = 300_000;

/** The episode so far as the executor reports it: one event per executed action. */
function eventsFrom(statuses: readonly SimStatus[]): EpisodeEvent[] {
  const byAction = new Map<number, SimStatus>();
  for (const s of statuses) if (s.actions_executed > 0) byAction.set(s.actions_executed, s);
  return [...byAction.keys()]
    .sort((a, b) => a - b)
    .map((n) => {
      const s = byAction.get(n)!;
      const grasp = s.last_action_type === PushGraspActionConstants.GRASP;
      return {
        step: n,
        primitive: grasp ? 'grasp' : 'push',
        success: grasp ? s.last_action_success : s.scene_changed,
        outcome: s.last_action_outcome,
        objectsRemaining: s.objects_remaining,
        q: 0,
        position: { x: 0, y: 0, z: 0 },
        angle: 0,
      };
    });
}

describe('ros2 launch grasp_perception demo.launch.py: five seeds, each ending on a VPG end', () => {
  let bus: RclnodejsBus;
  const statuses: SimStatus[] = [];

  before(async () => {
    bus = await RclnodejsBus.create([]);
    bus
      .createNode('episode_observer')
      .createSubscription(
        'grasp_perception/msg/SimStatus',
        '/camera/sim_node/status',
        qos({ reliability: 'reliable', durability: 'transient_local', depth: 100 }),
        (s) => {
          statuses.push(s);
        },
      );
  });
  after(async () => {
    await bus.shutdown();
  });

  for (const seed of SEEDS) {
    it(`seed ${seed}`, async () => {
      statuses.length = 0;
      const launch = startProcess(`demo.launch.py seed:=${seed}`, 'ros2', [
        'launch',
        'grasp_perception',
        'demo.launch.py',
        `seed:=${seed}`,
        `objects:=${OBJECTS}`,
      ]);
      try {
        let end: EpisodeEnd | null = null;
        const t0 = Date.now();
        await poll(
          `seed ${seed}: a VPG end on ~/status`,
          () => {
            if (/closed loop stopped/.test(launch.output()) || launch.exited())
              throw new Error(
                `seed ${seed}: the loop stopped without a VPG end:\n${launch.output().slice(-3000)}`,
              );
            const current = statuses.filter((s) => s.seed === seed);
            const first = current.find((s) => s.actions_executed === 0);
            if (!first) return undefined;
            end = episodeEnd(eventsFrom(current), 5 * first.objects_remaining, MAX_CONSECUTIVE_FAILURES);
            return end ?? undefined;
          },
          EPISODE_TIMEOUT_MS,
          200,
        );
        const events = eventsFrom(statuses.filter((s) => s.seed === seed));
        const reported = await launch.waitForOutput(/episode ended: ([a-z-]+)/, 60_000);
        expect(reported[1]).toBe(end);
        expect(['cleared', 'failures', 'action-limit']).toContain(end);
        // Every action got exactly one status, in order.
        expect(events.map((e) => e.step)).toEqual(events.map((_, i) => i + 1));
        console.log(
          `seed ${seed}: ${end} after ${events.length} actions, ${events.filter((e) => e.primitive === 'grasp' && e.success).length} grasped, ` +
            `${events.at(-1)?.objectsRemaining ?? OBJECTS} left, ${((Date.now() - t0) / 1000).toFixed(1)} s`,
        );
      } finally {
        expect(await launch.stop(15_000)).not.toBeUndefined();
      }
    });
  }
});
