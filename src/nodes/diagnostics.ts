import { QOS_DEFAULT, type BusNode, type Publisher, type Timer } from '../bus';
import { type DiagnosticStatus, DiagnosticStatusConstants } from '../msg';

export type DiagnosticLevel = 'ok' | 'warn' | 'error' | 'stale';

const LEVEL: Record<DiagnosticLevel, number> = {
  ok: DiagnosticStatusConstants.OK,
  warn: DiagnosticStatusConstants.WARN,
  error: DiagnosticStatusConstants.ERROR,
  stale: DiagnosticStatusConstants.STALE,
};

export interface DiagnosticEntry {
  readonly level: DiagnosticLevel;
  readonly message: string;
  readonly values: Readonly<Record<string, string | number | boolean>>;
}

/**
 * diagnostic_updater's job in a few lines: named tasks report their latest state, and the node
 * publishes them together on /diagnostics at a fixed period (and at once on a level change).
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
   * Records a task's state; publishes immediately when its level changed, or when a WARN/ERROR changes
   * its message (each distinct fault reaches /diagnostics, not only the last one of a period).
   */
  report(task: string, entry: DiagnosticEntry): void {
    const previous = this.entries.get(task);
    this.entries.set(task, entry);
    const newFault = entry.level !== 'ok' && previous?.message !== entry.message;
    if (previous?.level !== entry.level || newFault) this.publish();
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
