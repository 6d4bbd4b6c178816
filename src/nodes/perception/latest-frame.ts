// Backpressure for a slow stage: never queue work behind it. While one item is being processed, only
// the newest arrival waits (an older waiting one is dropped and counted), so latency stays one frame
// and memory stays bounded. rxjs has no operator with exactly this policy (exhaustMap drops the
// newest, switchMap cancels the running one, concatMap queues everything), so it is written here.
import { Subject } from 'rxjs';

export class LatestFrameWorker<T> {
  /** Items replaced by a newer one before they could start. */
  dropped = 0;
  private busy: Promise<void> | null = null;
  private waiting: T | undefined;
  private hasWaiting = false;
  /** Every item that was processed (for tests and monitoring). */
  readonly done$ = new Subject<T>();

  constructor(
    private readonly work: (item: T) => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  push(item: T): void {
    if (this.busy) {
      if (this.hasWaiting) this.dropped++;
      this.waiting = item;
      this.hasWaiting = true;
      return;
    }
    this.busy = this.run(item);
  }

  private async run(item: T): Promise<void> {
    let next: T | undefined = item;
    let has = true;
    while (has) {
      try {
        await this.work(next as T);
        this.done$.next(next as T);
      } catch (err) {
        this.onError(err instanceof Error ? err : new Error(String(err)));
      }
      has = this.hasWaiting;
      next = this.waiting;
      this.hasWaiting = false;
      this.waiting = undefined;
    }
    this.busy = null;
  }

  /** Resolves when the item in progress (and the one waiting) are done. */
  async drain(): Promise<void> {
    while (this.busy) await this.busy;
  }
}
