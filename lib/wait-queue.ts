// Calls waiting for a leader: while an election runs, a call waits (at most its channel's
// maxWaitTime, at most maxQueuedCalls of them per port) and runs on the route the channel opens.
import type { LocalChannel, QueuedCall, Route } from './channel.js';
import { DeadlineSweep } from './deadline-sweep.js';
import { NoLeaderError } from './errors.js';

export interface WaitQueueOptions {
  maxQueuedCalls: number;
  /** The endpoint, as error messages name it. */
  where: string;
}

export class WaitQueue {
  private readonly sweep = new DeadlineSweep((now) => this.expire(now));

  /** `channels`: the channels of the port, whose queues hold the waiting calls. */
  constructor(private readonly channels: ReadonlyMap<string, LocalChannel>, private readonly options: WaitQueueOptions) {}

  /** `run` is called with the channel's route once it opens; the call fails with NoLeaderError after the channel's maxWaitTime. */
  enqueue<T>(channel: LocalChannel, run: (route: Route) => Promise<T>): Promise<T> {
    let waiting = 0;
    for (const c of this.channels.values()) waiting += c.queue.length;
    if (waiting >= this.options.maxQueuedCalls) {
      const error = new NoLeaderError(`no leader yet and ${waiting} calls already wait for one (maxQueuedCalls)`);
      channel.stats.rejected(error);
      return Promise.reject(error);
    }
    const { maxWaitTime } = channel.spec.options;
    return new Promise((resolve, reject) => {
      channel.queue.push({
        deadline: Date.now() + maxWaitTime,
        run: (route) => run(route).then(resolve, reject),
        fail: (error) => {
          channel.stats.rejected(error);
          reject(error);
        },
      });
      this.sweep.arm(maxWaitTime);
    });
  }

  stop(): void {
    this.sweep.stop();
  }

  /** Fails the calls past their deadline; returns whether calls still wait. */
  private expire(now: number): boolean {
    let waiting = 0;
    for (const channel of this.channels.values()) {
      if (channel.queue.length > 0 && channel.queue[0].deadline <= now) this.expireIn(channel, now);
      waiting += channel.queue.length;
    }
    return waiting > 0;
  }

  private expireIn(channel: LocalChannel, now: number): void {
    const keep: QueuedCall[] = [];
    for (const call of channel.queue) {
      if (call.deadline > now) keep.push(call);
      else call.fail(new NoLeaderError(`no leader for "${channel.name}" on ${this.options.where} within maxWaitTime (${channel.spec.options.maxWaitTime} ms)`));
    }
    channel.queue = keep;
  }
}
