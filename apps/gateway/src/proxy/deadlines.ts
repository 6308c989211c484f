/** A scheduled call that can be cancelled. */
export interface Deadline {
  cancelled: boolean;
}

interface Entry extends Deadline {
  readonly at: number;
  /** Dropped on cancel: the closure holds a whole request, which must not outlive it. */
  fire: (() => void) | undefined;
}

/** Cancelled entries are dropped in one pass once there are this many and they are most. */
const COMPACT_AT = 1_024;

/**
 * Timeouts for many requests without one Node timer each. Every request of a route waits the
 * same duration, so for each duration the deadlines come due in the order they were set: one
 * queue and one timer per duration suffice. Each Node timer is an async resource, and with the
 * telemetry's AsyncLocalStorage two of them per request cost more than all the gateway's own
 * routing work.
 */
export class Deadlines {
  private readonly queues = new Map<number, DurationQueue>();

  /** Calls `fire` in `ms` milliseconds unless cancelled first. */
  schedule(ms: number, fire: () => void): Deadline {
    let queue = this.queues.get(ms);
    if (queue === undefined) {
      queue = new DurationQueue();
      this.queues.set(ms, queue);
    }
    return queue.add(performance.now() + ms, fire);
  }

  cancel(deadline: Deadline | undefined): void {
    if (deadline === undefined || deadline.cancelled) return;
    const entry = deadline as Entry & { queue: DurationQueue };
    entry.cancelled = true;
    entry.fire = undefined;
    entry.queue.cancelled();
  }
}

class DurationQueue {
  private entries: Array<Entry & { queue: DurationQueue }> = [];
  private head = 0;
  private cancelledCount = 0;
  private timer: NodeJS.Timeout | undefined;

  add(at: number, fire: () => void): Deadline {
    const entry: Entry & { queue: DurationQueue } = { at, fire, cancelled: false, queue: this };
    this.entries.push(entry);
    if (this.timer === undefined) this.arm(at);
    return entry;
  }

  cancelled(): void {
    this.cancelledCount += 1;
    const pending = this.entries.length - this.head;
    if (this.cancelledCount >= COMPACT_AT && this.cancelledCount * 2 > pending) {
      this.entries = this.entries.slice(this.head).filter((entry) => !entry.cancelled);
      this.head = 0;
      this.cancelledCount = 0;
    }
  }

  private arm(at: number): void {
    this.timer = setTimeout(() => this.due(), Math.max(0, at - performance.now()));
    this.timer.unref();
  }

  private due(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head] as Entry;
      if (entry.cancelled) {
        this.head += 1;
        this.cancelledCount -= 1;
        continue;
      }
      if (entry.at > now) break;
      this.head += 1;
      const fire = entry.fire;
      entry.cancelled = true;
      entry.fire = undefined;
      fire?.();
    }
    if (this.head >= COMPACT_AT && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    const next = this.entries[this.head];
    if (next !== undefined) this.arm(next.at);
  }
}
