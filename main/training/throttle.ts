/** Rate-limits a stream of values: at most one delivery per interval, the latest value wins, none is held past one interval. */

export interface Timers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class LatestValueThrottle<T> {
  private pending: { value: T } | null = null;
  private lastDelivery = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly intervalMs: number,
    private readonly deliver: (value: T) => void,
    private readonly clock: () => number = () => performance.now(),
    private readonly timers: Timers = realTimers,
  ) {}

  push(value: T): void {
    this.pending = { value };
    const wait = this.lastDelivery + this.intervalMs - this.clock();
    if (wait <= 0) this.flush();
    else if (this.timer === null) this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  /** Delivers the held value now, if any (at the end of a run, so the last figure is never lost). */
  flush(): void {
    if (this.timer !== null) {
      this.timers.clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending === null) return;
    const { value } = this.pending;
    this.pending = null;
    this.lastDelivery = this.clock();
    this.deliver(value);
  }

  /** Drops the held value and the timer. */
  dispose(): void {
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
