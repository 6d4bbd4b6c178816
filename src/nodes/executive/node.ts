import { type Bus, type CreateNodeOptions, param, QOS_DEFAULT, QOS_TRANSIENT_LOCAL } from '../../bus';
import { type PushGraspAction, PushGraspActionConstants, type SimStatus } from '../../msg';
import {
  type EpisodeEnd,
  episodeEnd,
  type EpisodeEvent,
  episodeMetrics,
  type EpisodeMetrics,
  MAX_CONSECUTIVE_FAILURES,
} from '../../policy/episode';
import { Diagnostics } from '../diagnostics';
import { type RunningNode } from '../registry';

export const EXECUTIVE_PARAMETERS = {
  max_actions: param.integer(0, 'Action limit of the episode; 0 = 5 per object in the bin at the start', {
    range: { from: 0, to: 100000 },
  }),
  max_failures: param.integer(
    MAX_CONSECUTIVE_FAILURES,
    'More consecutive failures than this end the episode',
    {
      range: { from: 1, to: 1000 },
    },
  ),
  decide_timeout: param.double(10.0, 'Seconds to wait for the policy (per ~/decide call)', {
    range: { from: 0.1, to: 600 },
  }),
  execute_timeout: param.double(30.0, 'Seconds to wait for the executor to report an action done', {
    range: { from: 0.1, to: 3600 },
  }),
  diagnostics_period: param.double(1.0, 'Seconds between /diagnostics messages', {
    range: { from: 0.1, to: 10 },
  }),
};

export interface ExecutedStep {
  event: EpisodeEvent;
  action: PushGraspAction;
  status: SimStatus;
  /** Time from the decide request to its answer, and from the action to the executor's status, ms. */
  decideMs: number;
  executeMs: number;
}

export interface EpisodeResult {
  metrics: EpisodeMetrics;
  steps: ExecutedStep[];
  /** Set when the loop stopped on an error (no policy answer, executor silent). */
  error?: string;
}

export interface RunningExecutive extends RunningNode {
  /** Resolves when the episode ends (cleared, failures, limits, or an error). */
  readonly episode: Promise<EpisodeResult>;
}

/**
 * pick_executive_node: the closed loop a robot's task executive runs. Asks the policy for an action
 * (`decide`, remap to /<ns>/policy_node/decide), sends it to the executor (`action`: sim_node's
 * ~/action, or a robot driver), waits for the executor's `status`, and ends the episode under VPG's
 * rules, reporting progress on /diagnostics.
 */
export async function startExecutive(
  bus: Bus,
  options: CreateNodeOptions,
  onStep?: (s: ExecutedStep, objects: number) => void,
): Promise<RunningExecutive> {
  const node = bus.createNode('pick_executive_node', options);
  const p = node.declareParameters(EXECUTIVE_PARAMETERS);
  const decide = node.createClient('grasp_perception/srv/DecideAction', 'decide');
  const actions = node.createPublisher('grasp_perception/msg/PushGraspAction', 'action', QOS_DEFAULT);
  const diagnostics = new Diagnostics(node, 'grasp_perception', p.diagnostics_period);
  let latest: SimStatus | undefined;
  let statusWaiter: ((s: SimStatus) => void) | undefined;
  const statusSub = node.createSubscription(
    'grasp_perception/msg/SimStatus',
    'status',
    QOS_TRANSIENT_LOCAL,
    (s) => {
      latest = s;
      statusWaiter?.(s);
    },
  );
  let stopped = false;
  /** The status wait in progress; stop() cancels it so nothing holds the process after the node stops. */
  let pendingTimer: NodeJS.Timeout | undefined;
  const nextStatus = (after: number, timeoutS: number): Promise<SimStatus> =>
    new Promise((resolve, reject) => {
      if (latest && latest.actions_executed > after) {
        resolve(latest);
        return;
      }
      const timer = setTimeout(() => {
        pendingTimer = undefined;
        statusWaiter = undefined;
        reject(new Error(`the executor reported nothing within ${timeoutS} s (is 'status' remapped to it?)`));
      }, timeoutS * 1000);
      pendingTimer = timer;
      statusWaiter = (s) => {
        if (s.actions_executed <= after) return;
        clearTimeout(timer);
        pendingTimer = undefined;
        statusWaiter = undefined;
        resolve(s);
      };
    });

  const executorListening = async (timeoutS: number): Promise<void> => {
    const end = Date.now() + timeoutS * 1000;
    while (actions.subscriptionCount() === 0) {
      if (Date.now() > end)
        throw new Error(
          `nothing subscribes to ${actions.topic} within ${timeoutS} s (is 'action' remapped to the executor?)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  const steps: ExecutedStep[] = [];
  const events = (): EpisodeEvent[] => steps.map((s) => s.event);
  let objects = 0;
  const run = async (): Promise<EpisodeResult> => {
    const initial = await nextStatus(-1, p.execute_timeout);
    objects = initial.objects_remaining;
    const maxActions = p.max_actions > 0 ? p.max_actions : 5 * objects;
    let end: EpisodeEnd | null = objects === 0 ? 'cleared' : null;
    const report = (level: 'ok' | 'warn' | 'error', message: string) => {
      const m = episodeMetrics(objects, events(), end ?? 'action-limit');
      diagnostics.report('episode', {
        level,
        message,
        values: {
          objects,
          'objects removed': m.objects_removed,
          'objects lost': m.objects_lost,
          actions: m.actions,
          grasps: m.grasps,
          pushes: m.pushes,
          'grasp success': m.grasp_success === null ? 'n/a' : m.grasp_success.toFixed(3),
          'action efficiency': m.action_efficiency === null ? 'n/a' : m.action_efficiency.toFixed(3),
        },
      });
    };
    while (!end && !stopped) {
      const t0 = Date.now();
      const r = await decide.call({ timeout: p.decide_timeout }, (p.decide_timeout + 1) * 1000);
      const decideMs = Date.now() - t0;
      if (!r.success) {
        if (r.message.startsWith('nothing admissible')) {
          end = 'nothing-admissible';
          break;
        }
        throw new Error(`policy: ${r.message}`);
      }
      const before = latest?.actions_executed ?? 0;
      const t1 = Date.now();
      // Across processes the action publisher matches the executor's subscription on its own
      // discovery schedule, after the status link; an action sent before that would be lost.
      await executorListening(p.execute_timeout);
      actions.publish(r.action);
      const status = await nextStatus(before, p.execute_timeout);
      const grasp = r.action.type === PushGraspActionConstants.GRASP;
      const event: EpisodeEvent = {
        step: steps.length + 1,
        primitive: grasp ? 'grasp' : 'push',
        success: grasp ? status.last_action_success : status.scene_changed,
        outcome: status.last_action_outcome,
        objectsRemaining: status.objects_remaining,
        q: r.action.q_value,
        position: r.action.pose.position,
        angle: r.action.angle,
      };
      const step = { event, action: r.action, status, decideMs, executeMs: Date.now() - t1 };
      steps.push(step);
      node.logger.info(
        `action ${event.step}: ${event.primitive} -> ${event.outcome}; ${event.objectsRemaining}/${objects} objects left`,
      );
      onStep?.(step, objects);
      end = episodeEnd(events(), maxActions, p.max_failures);
      report('ok', `action ${event.step}: ${event.primitive} ${event.success ? 'succeeded' : 'failed'}`);
    }
    const final = end ?? 'action-limit';
    end = final;
    report(final === 'cleared' ? 'ok' : 'warn', `episode ended: ${final}`);
    node.logger.info(`episode ended: ${final}`);
    return { metrics: episodeMetrics(objects, events(), final), steps };
  };
  const episode = run().catch((err: Error) => {
    node.logger.error(`closed loop stopped: ${err.message}`);
    diagnostics.report('episode', {
      level: 'error',
      message: `closed loop stopped: ${err.message}`,
      values: {},
    });
    return { metrics: episodeMetrics(objects, events(), 'action-limit'), steps, error: err.message };
  });
  return {
    node,
    diagnostics,
    episode,
    stop: async () => {
      stopped = true;
      clearTimeout(pendingTimer);
      statusWaiter = undefined;
      diagnostics.stop();
      statusSub.destroy();
      node.destroy();
    },
  };
}
