// What a leader tells an observer (`onelink status`) about itself: the answer to a STATS request.
// The counters are plain numbers written where calls are served; the rate is sampled once a second.

export interface ChannelStatus {
  name: string;
  /** The DataClient class's name. */
  dataClient: string;
  /** Follower connections that opened this channel. */
  followers: number;
  /** Keys subscribed upstream (once each, whoever listens). */
  subscriptions: number;
  /** The leader process itself has a client of this name. */
  local: boolean;
}

export interface FollowerStatus {
  pid: number;
  /** Epoch ms. */
  connectedAt: number;
  inFlight: number;
  calls: number;
  errors: number;
  bytesIn: number;
  bytesOut: number;
  channels: string[];
}

export interface LeaderCountersStatus {
  /** Calls served since this process leads: followers' and its own. */
  calls: number;
  /** Over the last RATE_WINDOW_S seconds (fewer right after the election). */
  callsPerSecond: number;
  /** Failed calls by error code. */
  errors: Record<string, number>;
  /** Leaders lost, as this process saw them, since it started. */
  failovers: number;
  /** From the last loss of a leader to this process serving again, in ms; null if it never lost one. */
  lastFailoverMs: number | null;
}

export interface LeaderStatus {
  protocol: number;
  leader: {
    pid: number;
    /** Epoch ms: when this process became the leader. */
    since: number;
    uptimeMs: number;
    processUptimeMs: number;
    endpoint: string;
    node: string;
  };
  channels: ChannelStatus[];
  followers: FollowerStatus[];
  counters: LeaderCountersStatus;
}

/** Seconds over which calls/s is averaged. */
const RATE_WINDOW_S = 10;

/** The leader's counters: written by the connections and the local calls, read by a STATS request. */
export class LeaderCounters {
  calls = 0;
  readonly errors = new Map<string, number>();
  /** Total calls at each of the last RATE_WINDOW_S + 1 seconds, newest last. */
  private readonly samples: number[] = [0];
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => {
      this.samples.push(this.calls);
      if (this.samples.length > RATE_WINDOW_S + 1) this.samples.shift();
    }, 1000);
    this.timer.unref();
  }

  countError(code: string): void {
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  /** Calls per second over the sampled window (the current, partial second excluded). */
  callsPerSecond(): number {
    const seconds = this.samples.length - 1;
    if (seconds === 0) return 0;
    return Math.round(((this.samples[seconds] - this.samples[0]) / seconds) * 10) / 10;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
