// One client name as this process sees it: its clients, where calls go now, what waits for a leader,
// and what must be replayed on the next leader (subscriptions, publications).
import { encodeConnection, Op } from '../protocol/index.js';
import type { LeaderLink } from './follower/link.js';
import type { DataClientHost, Subscriber } from './leader/host.js';
import { CallStats } from './observe/call-stats.js';
import type { ChannelSpec } from './spec.js';

export type Route = { kind: 'local'; host: DataClientHost } | { kind: 'remote'; link: LeaderLink };

/** A created cluster client, as the channel needs it. */
export interface ChannelMember {
  /** false when the client asked isLeader: false: it never reports itself as the leader. */
  readonly mayLead: boolean;
  emitFromDataClient(event: string | symbol, args: unknown[]): void;
  /** This process's role changed ('leader', 'follower', 'failover'). */
  emit(event: string, value: unknown): boolean;
}

export interface LocalSubscription {
  id: number;
  key: string;
  reg: unknown;
  member: ChannelMember;
  listener: (value: unknown) => void;
  subscriber: Subscriber;
}

export interface QueuedCall {
  deadline: number;
  run(route: Route): void;
  fail(error: Error): void;
}

export class LocalChannel {
  readonly members = new Set<ChannelMember>();
  route: Route | null = null;
  /** The leader link this channel's OPEN was last sent on. */
  openingOn: LeaderLink | null = null;
  /** Set when the DataClient failed to start (or the channel cannot open): calls fail with it until a retry succeeds. */
  error: Error | null = null;
  /** When `error` was set, so that calls retry the start at most once per INIT_RETRY_MS. */
  failedAt = 0;
  queue: QueuedCall[] = [];
  readonly subscriptions = new Map<number, LocalSubscription>();
  readonly publications = new Map<string, unknown>();
  /** The calls of this name in this process, whoever leads. */
  readonly stats = new CallStats();
  readonly ready: Promise<void>;
  private settleReady!: (error?: Error) => void;
  private readonly connections = { [Op.INVOKE]: new Map<string, Buffer>(), [Op.ONEWAY]: new Map<string, Buffer>() };

  constructor(readonly spec: ChannelSpec) {
    this.ready = new Promise<void>((resolve, reject) => {
      let settled = false;
      this.settleReady = (error) => {
        if (settled) return;
        settled = true;
        if (error) reject(error);
        else resolve();
      };
    });
    this.ready.catch(() => undefined); // observed by each client's ready(); never an unhandled rejection
  }

  get name(): string {
    return this.spec.options.name;
  }

  /** The encoded connection object of a call, cached per method: it is the same for every call. */
  connection(op: typeof Op.INVOKE | typeof Op.ONEWAY, method: string): Buffer {
    const cache = this.connections[op];
    let buffer = cache.get(method);
    if (!buffer) {
      buffer = encodeConnection([op, this.name, method]);
      cache.set(method, buffer);
    }
    return buffer;
  }

  /** The one client of this channel that reports isClusterClientLeader where this process leads: the oldest that may lead. */
  leadingMember(): ChannelMember | undefined {
    for (const member of this.members) if (member.mayLead) return member;
    return undefined;
  }

  open(route: Route): void {
    this.route = route;
    this.error = null;
    this.settleReady();
    const queue = this.queue;
    this.queue = [];
    for (const call of queue) call.run(route);
  }

  /** The leader behind `link` refused to start something because it is closing: what comes next waits for the next leader. */
  leaderClosing(link: LeaderLink): void {
    if (this.route?.kind === 'remote' && this.route.link === link) this.route = null;
  }

  /** The channel cannot serve: fail what waits, and ready() if it has not succeeded yet. */
  fail(error: Error, permanent: boolean): void {
    this.route = null;
    if (permanent) {
      this.error = error;
      this.failedAt = Date.now();
    }
    this.settleReady(error);
    const queue = this.queue;
    this.queue = [];
    for (const call of queue) call.fail(error);
  }
}
