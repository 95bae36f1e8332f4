// The DataClients this process holds as leader: one per channel name, shared by the clients of
// this process and by every follower that opened the channel. A DataClient lives while a client of
// this process or a follower uses it.
import type { LocalChannel } from '../channel.js';
import { ChannelUnavailableError } from '../errors.js';
import type { ChannelStatus } from '../observe/status.js';
import type { Logger } from '../options.js';
import { isMethod, type ChannelSpec, type DataClient } from '../spec.js';
import { DataClientHost } from './host.js';

interface HostEntry {
  host: DataClientHost;
  /** Follower connections that opened this channel. */
  remoteUsers: number;
}

export interface PoolOptions {
  /** How long a follower's OPEN waits for this process to create a client of that name. */
  maxWaitTime: number;
  logger: Logger;
  /** The endpoint, as error messages name it. */
  where: string;
}

/**
 * How long a follower's OPEN of a name this process lacks waits after this process last created a
 * client. A process creates its clients together at start-up (egg's agent, workers of node:cluster
 * starting at once): within this grace the missing one may still come. A leader that has clients
 * and created none for this long belongs to another application: the OPEN fails at once. A leader
 * with no client yet is starting, and gets the follower's whole maxWaitTime.
 */
export const CHANNEL_GRACE_MS = 2000;

export class DataClientPool {
  private readonly hosts = new Map<string, HostEntry>();
  /** Per channel name: followers' OPENs waiting for this process to create a client of that name. */
  private readonly waiters = new Map<string, Set<(joined?: string) => void>>();
  /** State the previous leader handed over, per channel name, for the next DataClient of that name. */
  private readonly handoverState = new Map<string, unknown>();

  /** `channels`: the clients of this process by name, which the DataClients are built from and re-emit their events to. */
  constructor(private readonly channels: ReadonlyMap<string, LocalChannel>, private readonly options: PoolOptions) {}

  /** The endpoint this process leads, as error messages name it. */
  get where(): string {
    return this.options.where;
  }

  /** The DataClient of a channel of this process, created on first use; it may still be starting. */
  hostFor(channel: LocalChannel): DataClientHost {
    return this.entry(channel.name, channel.spec).host;
  }

  /** When this process last created a client (of any name). */
  private lastJoinAt = Date.now();

  /** This process created a client of this name: OPENs that wait for it go on; OPENs of other names get more grace. */
  channelJoined(name: string): void {
    this.lastJoinAt = Date.now();
    for (const waiters of this.waiters.values()) for (const wake of waiters) wake(name);
  }

  /**
   * For a follower's OPEN: the ready DataClient of a channel, waiting up to maxWaitTime for this
   * process to create a client of that name. Counts a remote user, until release().
   * `cancelled` (the follower went away) ends the wait at once: nothing is held for it afterwards.
   */
  async open(name: string, cancelled?: AbortSignal): Promise<DataClientHost> {
    let channel = this.channels.get(name);
    const existing = this.hosts.get(name);
    if (!channel && !existing) {
      await this.waitForChannel(name, cancelled);
      channel = this.channels.get(name);
    }
    const entry = existing ?? this.entry(name, channel!.spec);
    try {
      await entry.host.ready;
    } catch (err) {
      this.dropFailed(entry.host);
      throw err;
    }
    entry.remoteUsers++;
    return entry.host;
  }

  /** A follower stopped using a channel (closed it, or its connection closed). */
  release(name: string): void {
    const entry = this.hosts.get(name);
    if (!entry) return;
    entry.remoteUsers = Math.max(0, entry.remoteUsers - 1);
    void this.disposeIfUnused(name);
  }

  /** Closes the DataClient of a name that neither this process nor any follower uses. */
  async disposeIfUnused(name: string): Promise<void> {
    const entry = this.hosts.get(name);
    if (!entry || entry.remoteUsers > 0 || this.channels.has(name)) return;
    this.hosts.delete(name);
    await closeHost(entry.host, this.options.logger);
  }

  /**
   * A DataClient whose start failed (its upstream was down, say) is not kept: the clients that
   * saw the failure keep the error, and a client created later, in any process, tries again.
   */
  dropFailed(host: DataClientHost): void {
    const name = host.spec.options.name;
    if (this.hosts.get(name)?.host !== host) return;
    this.hosts.delete(name);
    void closeHost(host, this.options.logger);
  }

  /** Followers' OPENs waiting for a client of their name, in total. */
  get waitingOpens(): number {
    let count = 0;
    for (const waiters of this.waiters.values()) count += waiters.size;
    return count;
  }

  /** The previous leader handed this state over: the next DataClient of that name imports it. */
  rememberHandover(name: string, state: unknown): void {
    this.handoverState.set(name, state);
  }

  /** The channel opened on another leader: whatever state was handed over is that leader's now. */
  forgetHandover(name: string): void {
    this.handoverState.delete(name);
  }

  /** Each DataClient held, for the leader's stats. */
  status(): ChannelStatus[] {
    return [...this.hosts].map(([name, { host, remoteUsers }]) => ({
      name,
      dataClient: host.spec.Client.name || 'anonymous class',
      followers: remoteUsers,
      subscriptions: host.upstreamSubscriptions,
      local: this.channels.has(name),
    }));
  }

  /** Empties the pool on shutdown; returns the DataClients, for handover and closing. */
  takeAll(): DataClientHost[] {
    const hosts = [...this.hosts.values()].map((entry) => entry.host);
    this.hosts.clear();
    return hosts;
  }

  private entry(name: string, spec: ChannelSpec): HostEntry {
    let entry = this.hosts.get(name);
    if (!entry) {
      const host = new DataClientHost(spec, this.handoverState.get(name));
      this.handoverState.delete(name);
      this.reEmitEvents(name, host);
      entry = { host, remoteUsers: 0 };
      this.hosts.set(name, entry);
    }
    return entry;
  }

  /** Waits for this process to create a client of this name, as CHANNEL_GRACE_MS says; `cancelled` ends the wait (the follower left). */
  private waitForChannel(name: string, cancelled: AbortSignal | undefined): Promise<void> {
    const { maxWaitTime, where } = this.options;
    const giveUpAt = Date.now() + maxWaitTime;
    return new Promise((resolve, reject) => {
      if (cancelled?.aborted) {
        reject(cancelled.reason);
        return;
      }
      const waiters = this.waiters.get(name) ?? new Set();
      this.waiters.set(name, waiters);
      let timer: NodeJS.Timeout | undefined;
      const done = (error?: unknown) => {
        clearTimeout(timer);
        cancelled?.removeEventListener('abort', cancel);
        waiters.delete(wake);
        if (waiters.size === 0 && this.waiters.get(name) === waiters) this.waiters.delete(name);
        if (error) reject(error);
        else resolve();
      };
      const cancel = () => done(cancelled!.reason);
      const expire = () => done(new ChannelUnavailableError(name, process.pid, [...this.channels.keys()], where));
      // Called now and on every client this process creates: the deadline moves with the grace.
      const wake = (joined?: string) => {
        if (joined === name) return done();
        clearTimeout(timer);
        const until = this.channels.size > 0 ? Math.min(giveUpAt, this.lastJoinAt + CHANNEL_GRACE_MS) : giveUpAt;
        const waitMs = until - Date.now();
        if (waitMs <= 0) return expire();
        timer = setTimeout(expire, waitMs);
        timer.unref();
      };
      waiters.add(wake);
      cancelled?.addEventListener('abort', cancel, { once: true });
      wake();
    });
  }



  /** Events the DataClient emits are emitted again by every client of its name in this process. */
  private reEmitEvents(name: string, host: DataClientHost): void {
    const client = host.client;
    const emit = client?.emit;
    if (!client || !isMethod(emit)) return;
    const channels = this.channels;
    const logger = this.options.logger;
    client.emit = function (this: DataClient, event: string | symbol, ...args: unknown[]): unknown {
      let handled = false;
      const members = channels.get(name)?.members;
      if (members && event !== 'ready') {
        for (const member of members) {
          member.emitFromDataClient(event, args);
          handled = true;
        }
      }
      // An 'error' with no listener would throw inside the DataClient and crash the leader.
      if (event === 'error' && isMethod(this.listenerCount) && this.listenerCount('error') === 0) {
        if (!handled) logger.error(`[onelink] "${name}" emitted an error:`, args[0]);
        return handled;
      }
      return emit.call(this, event, ...args);
    };
  }
}

/** The state each DataClient exports for the next leader; one that fails to export starts the next leader without it. */
export function exportHandover(hosts: DataClientHost[], logger: Logger): Map<string, unknown> {
  const handover = new Map<string, unknown>();
  for (const host of hosts) {
    try {
      const state = host.exportState();
      if (state !== undefined) handover.set(host.spec.options.name, state);
    } catch (err) {
      logger.warn(`[onelink] exportState of "${host.spec.options.name}" failed; the next leader starts without it:`, err);
    }
  }
  return handover;
}

export async function closeHost(host: DataClientHost, logger: Logger): Promise<void> {
  try {
    await host.close();
  } catch (err) {
    logger.warn(`[onelink] closing DataClient "${host.spec.options.name}" failed:`, err);
  }
}
