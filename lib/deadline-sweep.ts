// One timer that fails what has waited past its deadline, shared by the calls waiting for a leader
// (lib/wait-queue.ts) and the requests waiting for a response (lib/follower/link.ts). Calls are
// many and timeouts rare: one interval sweeps them all, rather than a timer per call.

/** A tenth of the wait, within 10 ms..1 s: a deadline is noticed at most that late. */
export function sweepPeriod(timeout: number): number {
  return Math.min(1000, Math.max(10, Math.floor(timeout / 10)));
}

export class DeadlineSweep {
  private timer: NodeJS.Timeout | null = null;
  private period = 0;

  /** `sweep(now)` fails what is past its deadline and returns whether anything still waits. */
  constructor(private readonly sweep: (now: number) => boolean) {}

  /**
   * Something now waits at most `timeout` ms: the sweep ticks at least as often as that wait needs.
   * Waits of one sweep may differ (clients of one port with other options): the shortest sets the pace.
   */
  arm(timeout: number): void {
    const period = sweepPeriod(timeout);
    if (this.timer && period >= this.period) return;
    if (this.timer) clearInterval(this.timer);
    this.period = period;
    this.timer = setInterval(this.tick, period);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private readonly tick = (): void => {
    if (!this.sweep(Date.now())) this.stop();
  };
}
