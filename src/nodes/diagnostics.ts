import { QOS_DEFAULT, type BusNode, type Publisher, type Timer } from '../bus';
import { type DiagnosticStatus, DiagnosticStatusConstants } from '../msg';

export type DiagnosticLevel = 'ok' | 'warn' | 'error' | 'stale';

const LEVEL: Record<DiagnosticLevel, number> = {
  ok: DiagnosticStatusConstants.OK,
  warn: DiagnosticStatusConstants.WARN,
  error: DiagnosticStatusConstants.ERROR,
  stale: DiagnosticStatusConstants.STALE,
};

/** The value key that names a status's fault; a change of it is republished at once. */
export const FAULT_CODE = 'fault code';

export interface DiagnosticEntry {
  readonly level: DiagnosticLevel;
  readonly message: string;
  readonly values: Readonly<Record<string, string | number | boolean>>;
}

/**
 * diagnostic_updater's job in a few lines: named tasks report their latest state, and the node
 * publishes them together on /diagnostics at a fixed period (and at once when a status changes kind).
 */
export class Diagnostics {
  private readonly entries = new Map<string, DiagnosticEntry>();
  private readonly pub: Publisher<'diagnostic_msgs/msg/DiagnosticArray'>;
  private readonly timer: Timer;

  constructor(
    private readonly node: BusNode,
    private readonly hardwareId: string,
    periodSec = 1,
  ) {
    this.pub = node.createPublisher('diagnostic_msgs/msg/DiagnosticArray', '/diagnostics', QOS_DEFAULT);
    this.timer = node.createTimer(periodSec, () => this.publish());
  }

  /**
   * Records a task's state; publishes immediately only when its level or its 'fault code' value
   * changed, so each distinct fault reaches /diagnostics but a message carrying a live number (a
   * percentage, a rate) waits for the period instead of flooding the topic.
   */
  report(task: string, entry: DiagnosticEntry): void {
    const previous = this.entries.get(task);
    this.entries.set(task, entry);
    const code = (e: DiagnosticEntry | undefined) => e?.values[FAULT_CODE];
    if (previous?.level !== entry.level || code(previous) !== code(entry)) this.publish();
  }

  entry(task: string): DiagnosticEntry | undefined {
    return this.entries.get(task);
  }

  statuses(): DiagnosticStatus[] {
    return [...this.entries].map(([task, e]) => ({
      level: LEVEL[e.level],
      name: `${this.node.name}: ${task}`,
      message: e.message,
      hardware_id: this.hardwareId,
      values: Object.entries(e.values).map(([key, v]) => ({ key, value: String(v) })),
    }));
  }

  publish(): void {
    if (this.entries.size === 0) return;
    this.pub.publish({
      header: { stamp: this.node.clock.now(), frame_id: '' },
      status: this.statuses(),
    });
  }

  stop(): void {
    this.timer.cancel();
  }
}
