// The package's main job, end to end on the in-process bus: sim_node (camera + executor) →
// perception_node, segmentation_node, policy_node → pick_executive_node closes the loop until the bin
// is clear or a limit; then out/report.html and out/report.json. demo.launch.py runs the same nodes as
// ROS 2 processes.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SingleBar } from 'cli-progress';
import { InProcessBus, LogConfig, QOS_DEFAULT, formatLogRecord } from '../bus';
import { encodePng } from '../image/compressed';
import { type Image, timeToNanos } from '../msg';
import { nodeEntry, type RunningNode } from '../nodes';
import { type ExecutedStep, startExecutive } from '../nodes/executive';
import { latencySummary, type ReportStep, writeReport } from '../policy/report';

export interface DemoOptions {
  readonly seed: number;
  readonly objects: number;
  /** 0 = 5 per object. */
  readonly maxActions: number;
  readonly outDir: string;
  readonly headless: boolean;
  /** Policy manifest (default: policy_node's own default, the int8 model). */
  readonly model?: string;
  /** Simulated camera (default sim_node's own size, its native 640 x 480, at 10 Hz). */
  readonly camera?: { width: number; height: number; rate: number };
  readonly out: (s: string) => void;
  readonly rosArgs: readonly string[];
}

const NS = '/camera';

/** Latest few messages of a topic, by stamp. */
class Recent {
  private readonly items: Image[] = [];
  push(m: Image): void {
    this.items.push(m);
    if (this.items.length > 16) this.items.shift();
  }
  /** The newest message stamped at or before `stamp`. */
  atOrBefore(stamp: bigint): Image | undefined {
    let best: Image | undefined;
    for (const m of this.items) if (timeToNanos(m.header.stamp) <= stamp) best = m;
    return best;
  }
}

export async function runDemo(o: DemoOptions): Promise<Record<string, unknown>> {
  const started = Date.now();
  const bus = new InProcessBus({
    argv: o.rosArgs,
    logConfig: new LogConfig('info', (r) => {
      if (r.level === 'warn' || r.level === 'error' || r.level === 'fatal') o.out(`${formatLogRecord(r)}\n`);
    }),
  });
  const running: RunningNode[] = [];
  const start = async (name: string, options: Parameters<ReturnType<typeof nodeEntry>['start']>[1]) => {
    const r = await nodeEntry(name).start(bus, options);
    running.push(r);
    return r;
  };
  fs.mkdirSync(o.outDir, { recursive: true });
  try {
    await start('sim_node', {
      namespace: NS,
      parameterOverrides: {
        seed: o.seed,
        objects: o.objects,
        ...(o.camera ?? { rate: 10 }),
      },
    });
    await start('perception_node', { namespace: NS });
    await start('segmentation_node', { namespace: NS });
    const policy = await start('policy_node', {
      namespace: NS,
      parameterOverrides: o.model ? { model_file_path: path.resolve(o.model) } : {},
      arguments: [
        '--ros-args',
        '-r',
        `~/suction_heatmap:=${NS}/perception_node/suction_heatmap`,
        '-r',
        `~/executor_status:=${NS}/sim_node/status`,
      ],
    });

    // The report's eyes: the images of each decision, and per-node latency from /diagnostics.
    const viewer = bus.createNode('demo_report');
    const images = { overlay: new Recent(), segmentation: new Recent(), qMaps: new Recent() };
    viewer.createSubscription('sensor_msgs/msg/Image', `${NS}/perception_node/overlay`, QOS_DEFAULT, (m) =>
      images.overlay.push(m),
    );
    viewer.createSubscription('sensor_msgs/msg/Image', `${NS}/segmentation_node/overlay`, QOS_DEFAULT, (m) =>
      images.segmentation.push(m),
    );
    viewer.createSubscription('sensor_msgs/msg/Image', `${NS}/policy_node/q_maps`, QOS_DEFAULT, (m) =>
      images.qMaps.push(m),
    );
    const latency: Record<string, number[]> = {};
    const lastCount: Record<string, string> = {};
    viewer.createSubscription('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT, (m) => {
      for (const st of m.status) {
        const v = Object.fromEntries(st.values.map((kv) => [kv.key, kv.value]));
        const count = v['frames processed'] ?? v.decisions;
        const ms = Number(v['latency (ms)']);
        if (count === undefined || !Number.isFinite(ms) || lastCount[st.name] === count) continue;
        lastCount[st.name] = count;
        (latency[st.name.split(':')[0]] ??= []).push(ms);
      }
    });

    const bar =
      o.headless || !process.stderr.isTTY
        ? null
        : new SingleBar({
            format:
              'picking |{bar}| {value}/{total} objects removed | {actions} actions | grasp success {gs}',
            stream: process.stderr,
          });
    const steps: ReportStep[] = [];
    let grasps = 0;
    let grasped = 0;
    const save = (img: Image | undefined, file: string): string => {
      if (!img) return '';
      fs.writeFileSync(path.join(o.outDir, file), encodePng(img));
      return file;
    };
    const onStep = (s: ExecutedStep, objects: number): void => {
      const stamp = timeToNanos(s.action.header.stamp);
      const n = String(s.event.step).padStart(3, '0');
      steps.push({
        event: s.event,
        overlay: save(images.overlay.atOrBefore(stamp), `step-${n}-overlay.png`),
        segmentation: save(images.segmentation.atOrBefore(stamp), `step-${n}-segmentation.png`),
        qMaps: save(images.qMaps.atOrBefore(stamp), `step-${n}-q-maps.png`),
        decideMs: s.decideMs,
        executeMs: s.executeMs,
      });
      if (s.event.primitive === 'grasp') {
        grasps++;
        if (s.event.success) grasped++;
      }
      const gs = grasps ? `${((100 * grasped) / grasps).toFixed(0)} %` : 'n/a';
      if (bar) {
        if (steps.length === 1) bar.start(objects, 0, { actions: 0, gs });
        bar.update(objects - s.event.objectsRemaining, { actions: steps.length, gs });
      } else {
        o.out(
          `action ${s.event.step}: ${s.event.primitive} -> ${s.event.outcome}; ` +
            `${s.event.objectsRemaining}/${objects} objects left; grasp success ${gs}\n`,
        );
      }
    };
    const executive = await startExecutive(
      bus,
      {
        namespace: NS,
        parameterOverrides: { max_actions: o.maxActions },
        arguments: [
          '--ros-args',
          '-r',
          `decide:=${NS}/policy_node/decide`,
          '-r',
          `action:=${NS}/sim_node/action`,
          '-r',
          `status:=${NS}/sim_node/status`,
        ],
      },
      onStep,
    );
    running.push(executive);
    const result = await executive.episode;
    bar?.stop();
    await policy.idle?.();

    const m = result.metrics;
    const policyModel = String(policy.node.getParameter('model_file_path'));
    const report = {
      completion: m.completed ? 1 : 0,
      grasp_success: m.grasp_success,
      action_efficiency: m.action_efficiency,
      actions: m.actions,
      objects: m.objects,
      objects_removed: m.objects_removed,
      objects_grasped: m.objects_grasped,
      objects_lost: m.objects_lost,
      end: m.end,
      ...(result.error ? { error: result.error } : {}),
      seed: o.seed,
      policy_model: policyModel,
      latency_ms: {
        ...Object.fromEntries(Object.entries(latency).map(([k, v]) => [k, latencySummary(v)])),
        'policy decide round trip (incl. waiting for a fresh frame)': latencySummary(
          steps.map((s) => s.decideMs),
        ),
        'sim_node action execution': latencySummary(steps.map((s) => s.executeMs)),
      },
      wall_s: (Date.now() - started) / 1000,
      steps,
    };
    const files = writeReport(o.outDir, report);
    const summary = {
      completion: report.completion,
      grasp_success: report.grasp_success,
      action_efficiency: report.action_efficiency,
      actions: report.actions,
      objects_removed: report.objects_removed,
      objects_lost: report.objects_lost,
      end: report.end,
      ...(result.error ? { error: result.error } : {}),
      report: files.html,
      json: files.json,
    };
    o.out(`${JSON.stringify(summary)}\n`);
    return report;
  } finally {
    for (const r of running.reverse()) await r.stop();
    await bus.shutdown();
  }
}
