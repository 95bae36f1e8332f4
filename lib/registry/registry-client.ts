// The registry's DataClient: what the leader of each machine constructs once and every local
// process reaches through onelink. It holds the backend (and so the machine's only Redis
// connections), the sweeper, the health checks and the balancer state.
import { pack, unpack } from 'msgpackr';
import type { BackendEvent, RegistryBackend } from './backend.js';
import { Balancer, CallerLedger, type PickOptions, type RequestReport, type ServerMetrics } from './balancer/index.js';
import { UnknownServerError } from './errors.js';
import { HealthChecker } from './health-checker.js';
import { MemoryBackend } from './memory-backend.js';
import { aliveTtlMs, resolveRegistryOptions, type RegistryOptions, type ResolvedRegistryOptions } from './options.js';
import { RedisBackend } from './redis-backend.js';
import type { ForwardedMessage, ForwardResult, HealthState, ServerRecord, WatchEvent } from './types.js';

/** Subscription keys: one upstream subscription per key and machine, whatever the number of processes. */
export type RegistrySubscription = { channel: 'watch' } | { channel: 'forward'; serverId: string };

type Listener<T> = (value: T) => void;

interface ForwardPayload { connections?: string[]; message: unknown }

export class RegistryClient {
  readonly options: ResolvedRegistryOptions;
  private readonly backend: RegistryBackend;
  private readonly balancer: Balancer;
  private readonly callers = new CallerLedger();
  private readonly health: HealthChecker;
  private readonly watchers = new Set<Listener<WatchEvent>>();
  private readonly forwardListeners = new Map<string, Set<Listener<ForwardedMessage>>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private cache: { servers: ServerRecord[]; until: number } | null = null;
  private started: Promise<void> | null = null;
  private closed = false;

  constructor(options: RegistryOptions = {}) {
    this.options = resolveRegistryOptions(options);
    this.backend = this.options.backend === 'redis'
      ? new RedisBackend({ target: this.options.redis, namespace: this.options.namespace, startTimeoutMs: this.options.startTimeoutMs })
      : new MemoryBackend();
    this.balancer = new Balancer(this.options.balancer);
    this.health = new HealthChecker(() => { this.cache = null; }, this.options.healthCheckTimeoutMs);
  }

  ready(): Promise<void> {
    // A start that failed (Redis down) is not remembered: the next ready() tries again.
    this.started ??= this.start().catch((err) => {
      this.started = null;
      throw err;
    });
    return this.started;
  }

  private async start(): Promise<void> {
    await this.backend.start();
    await this.backend.onEvent((event) => this.onBackendEvent(event));
    if (this.closed) return; // closed while starting: no timer may outlive close()
    this.sweepTimer = setInterval(() => void this.sweepAndCheck(), this.options.interval);
    this.sweepTimer.unref();
    await this.sweepAndCheck();
  }

  // --- servers ---------------------------------------------------------------------------

  /** Stores a server record (see toServerRecord) and keeps it alive for one TTL; its process must then call heartbeat(). */
  async register(record: ServerRecord): Promise<ServerRecord> {
    await this.backend.register(record, this.ttl);
    this.cache = null;
    return record;
  }

  /**
   * Refreshes the alive keys of the given servers and restores any the registry lost; `caller`
   * (see pick) keeps that process's requests in flight counted. Returns the restored ids.
   */
  async heartbeat(records: ServerRecord[], caller?: string): Promise<string[]> {
    if (caller !== undefined) this.callers.seen(caller, Date.now());
    const restored = await this.backend.heartbeat(records, this.ttl);
    if (restored.length) this.cache = null;
    // A backend that lost its data (Redis restarted empty) lost the maintenance flags too: the
    // registering process still knows them, so a server it keeps in maintenance stays there.
    for (const record of records) {
      if (record.maintenance && restored.includes(record.id)) await this.backend.setMaintenance(record.id, true);
    }
    return restored;
  }

  async deregister(id: string): Promise<boolean> {
    this.cache = null;
    return this.backend.deregister(id);
  }

  async setMaintenance(id: string, on: boolean): Promise<boolean> {
    this.cache = null;
    return this.backend.setMaintenance(id, on);
  }

  async servers(type?: string): Promise<ServerRecord[]> {
    const all = await this.backend.servers();
    return (type === undefined ? all : all.filter((s) => s.type === type)).sort(byId);
  }

  async server(id: string): Promise<ServerRecord | null> {
    return this.backend.server(id);
  }

  // --- connections -----------------------------------------------------------------------

  async bind(connectionId: string, serverId: string): Promise<void> {
    if (!(await this.backend.bind(connectionId, serverId))) throw new UnknownServerError(serverId);
  }

  async unbind(connectionId: string): Promise<boolean> {
    return this.backend.unbind(connectionId);
  }

  async lookup(connectionId: string): Promise<string | null> {
    return (await this.backend.lookupMany([connectionId]))[0] ?? null;
  }

  async lookupMany(connectionIds: string[]): Promise<Record<string, string | null>> {
    const found = await this.backend.lookupMany(connectionIds);
    return Object.fromEntries(connectionIds.map((id, i) => [id, found[i] ?? null]));
  }

  // --- forwarding ------------------------------------------------------------------------

  async forwardServer(serverId: string, message: unknown): Promise<ForwardResult> {
    const reached = await this.backend.publish(serverId, pack({ message } satisfies ForwardPayload));
    return reached ? { reached: [serverId], unreached: [] } : { reached: [], unreached: [serverId] };
  }

  /** To every live server (of `type` when given). */
  async forwardBroadcast(message: unknown, type?: string): Promise<ForwardResult> {
    const payload = pack({ message } satisfies ForwardPayload);
    const targets = await this.servers(type);
    const results = await Promise.all(targets.map((s) => this.backend.publish(s.id, payload)));
    return split(targets.map((s) => s.id), results);
  }

  /** To the servers the connections are bound to, one message per server naming its connections. */
  async forwardConnections(connectionIds: string[], message: unknown): Promise<ForwardResult> {
    const owners = await this.lookupMany(connectionIds);
    const byServer = new Map<string, string[]>();
    const unreached: string[] = [];
    for (const [connectionId, serverId] of Object.entries(owners)) {
      if (serverId === null) { unreached.push(connectionId); continue; }
      let group = byServer.get(serverId);
      if (!group) byServer.set(serverId, (group = []));
      group.push(connectionId);
    }
    const reached: string[] = [];
    await Promise.all([...byServer].map(async ([serverId, connections]) => {
      const ok = await this.backend.publish(serverId, pack({ connections, message } satisfies ForwardPayload));
      (ok ? reached : unreached).push(...connections);
    }));
    return { reached, unreached };
  }

  // --- balancing -------------------------------------------------------------------------

  /**
   * A live, healthy, non-maintenance server of `type`, chosen by the type's strategy; counts one
   * request in flight until report(). `caller` names the calling process: should it stop calling
   * and heartbeating for longer than the alive TTL (it died), its requests in flight are given back.
   */
  async pick(type: string, options: PickOptions = {}, caller?: string): Promise<ServerRecord> {
    const candidates = await this.candidates(type);
    const chosen = await this.balancer.pick(type, candidates, options, () => this.candidates(type));
    if (caller !== undefined) this.callers.picked(caller, chosen.id, Date.now());
    return chosen as ServerRecord;
  }

  /** Ends a request started by pick() and records its latency and outcome. */
  async report(serverId: string, report: RequestReport, caller?: string): Promise<void> {
    if (caller !== undefined) this.callers.reported(caller, serverId, Date.now());
    this.balancer.report(serverId, report);
  }

  /** Metrics of one server, or of every server this machine has seen. */
  async metrics(serverId?: string): Promise<ServerMetrics[]> {
    return serverId === undefined ? this.balancer.allMetrics() : [this.balancer.metrics(serverId)];
  }

  async healthStates(): Promise<Record<string, HealthState>> {
    return this.health.states();
  }

  // --- subscriptions (one per key per machine) -------------------------------------------

  /** `listener` receives WatchEvents on the watch channel, ForwardedMessages on a forward channel. */
  async subscribe(reg: RegistrySubscription, listener: Listener<WatchEvent> | Listener<ForwardedMessage>): Promise<void> {
    if (reg.channel === 'watch') { this.watchers.add(listener as Listener<WatchEvent>); return; }
    let listeners = this.forwardListeners.get(reg.serverId);
    if (!listeners) {
      this.forwardListeners.set(reg.serverId, (listeners = new Set()));
      const serverId = reg.serverId;
      await this.backend.listenForward(serverId, (payload) => this.onForward(serverId, payload));
    }
    listeners.add(listener as Listener<ForwardedMessage>);
  }

  async unSubscribe(reg: RegistrySubscription, listener?: Listener<WatchEvent> | Listener<ForwardedMessage>): Promise<void> {
    if (reg.channel === 'watch') {
      if (listener) this.watchers.delete(listener as Listener<WatchEvent>); else this.watchers.clear();
      return;
    }
    const listeners = this.forwardListeners.get(reg.serverId);
    if (!listeners) return;
    if (listener) listeners.delete(listener as Listener<ForwardedMessage>); else listeners.clear();
    if (listeners.size === 0) {
      this.forwardListeners.delete(reg.serverId);
      await this.backend.unlistenForward(reg.serverId);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.health.close();
    this.watchers.clear();
    this.forwardListeners.clear();
    await this.started?.catch(() => {});
    await this.backend.close();
  }

  // --- internals -------------------------------------------------------------------------

  private get ttl(): number {
    return aliveTtlMs(this.options);
  }

  private async candidates(type: string): Promise<ServerRecord[]> {
    const now = Date.now();
    if (!this.cache || this.cache.until <= now) this.cache = { servers: await this.backend.servers(), until: now + this.options.pickCacheMs };
    return this.cache.servers.filter((s) => s.type === type && !s.maintenance && !this.health.isFailing(s.id));
  }

  private async sweepAndCheck(): Promise<void> {
    if (this.closed) return;
    for (const [serverId, count] of this.callers.expire(Date.now(), this.ttl)) this.balancer.release(serverId, count);
    try {
      await this.backend.sweep();
      const servers = await this.backend.servers();
      // close() may have run during those round trips: starting health checks now would leak them.
      if (!this.closed) this.health.reconcile(servers);
    } catch {
      // Backend unreachable (e.g. Redis restarting): the next period retries, and the
      // registering processes restore their servers with their next heartbeat.
    }
  }

  private onBackendEvent(event: BackendEvent): void {
    this.cache = null;
    if (event.type === 'removed') this.balancer.forget(event.server.id);
    const watchEvent: WatchEvent = { type: event.type, server: event.server, at: Date.now() };
    for (const listener of [...this.watchers]) listener(watchEvent);
  }

  private onForward(serverId: string, payload: Buffer): void {
    const { connections, message } = unpack(payload) as ForwardPayload;
    const delivered: ForwardedMessage = { serverId, message, at: Date.now() };
    if (connections) delivered.connections = connections;
    for (const listener of [...(this.forwardListeners.get(serverId) ?? [])]) listener(delivered);
  }
}

function byId(a: ServerRecord, b: ServerRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function split(ids: string[], ok: boolean[]): ForwardResult {
  return { reached: ids.filter((_, i) => ok[i]), unreached: ids.filter((_, i) => !ok[i]) };
}
