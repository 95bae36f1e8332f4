// What each process uses: a facade over the registry DataClient shared through onelink.
//
// Liveness is tied to the registering process, not to the leader: every process refreshes
// its own servers through the leader each `interval` (heartbeat). When the process dies the
// refreshes stop and the alive keys expire after interval + latency, on every machine at
// once, even when the dead process was the leader. The leader never refreshes on behalf of
// others, so it cannot keep a dead process's servers alive. The heartbeat carries the full
// records, which lets a new leader (memory backend) or a restarted Redis get them back
// within one interval.
import { randomUUID } from 'node:crypto';
import { cluster } from '../index.js';
import { argsDigest } from '../spec.js';
import type { ClusterOptions } from '../options.js';
import type { PickOptions, RequestReport } from './balancer/index.js';
import { resolveRegistryOptions, type RegistryOptions } from './options.js';
import { RegistryClient, type RegistrySubscription } from './registry-client.js';
import { passThroughBase, REGISTRY_METHODS, type RegistryMethod, type SharedRegistry } from './shared-methods.js';
import { toServerRecord } from './registration.js';
import type { ForwardedMessage, ForwardResult, ServerRecord, ServerRegistration, WatchEvent } from './types.js';

export interface CreateRegistryOptions extends RegistryOptions {
  /** onelink options of the shared client. Default name 'onelink-registry:' and a digest of the other options. */
  cluster?: ClusterOptions;
  /** Logs heartbeats that failed (during a failover or a backend outage). Default console. */
  logger?: Pick<Console, 'warn'>;
}

/** A server to register; `server` (a listening net/http server) supplies the port. */
export interface RegisterInput extends ServerRegistration {
  server?: { address(): unknown };
}

export type WatchListener = (event: WatchEvent) => void;
export type MessageListener = (message: ForwardedMessage) => void;

export class Registry extends passThroughBase() {
  private readonly own = new Map<string, ServerRecord>();
  private readonly interval: number;
  private readonly logger: Pick<Console, 'warn'>;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatRunning = false;
  private closed = false;
  /** This process's name in the leader's count of requests in flight (see pick). */
  private readonly caller = randomUUID();
  /** Picks not reported yet. */
  private inFlight = 0;

  readonly forward = {
    /** To every live server (of `type` when given). */
    broadcast: (message: unknown, type?: string): Promise<ForwardResult> => this.shared.forwardBroadcast(message, type),
    server: (serverId: string, message: unknown): Promise<ForwardResult> => this.shared.forwardServer(serverId, message),
    /** To the servers holding these connections; `reached`/`unreached` list connection ids. */
    connections: (connectionIds: string[], message: unknown): Promise<ForwardResult> => this.shared.forwardConnections(connectionIds, message),
  };

  constructor(options: CreateRegistryOptions = {}) {
    const { cluster: clusterOptions, logger, ...registryOptions } = options;
    // One client name per configuration: registries configured differently never share one backend.
    const name = `onelink-registry:${argsDigest([registryOptions]).slice(0, 12)}`;
    const builder = cluster(RegistryClient, { name, ...clusterOptions, autoGenerate: false });
    for (const method of Object.keys(REGISTRY_METHODS) as RegistryMethod[]) builder.delegate(method, REGISTRY_METHODS[method].delegate);
    // The loop delegates each method of REGISTRY_METHODS, whose type lists every RegistryMethod: the
    // created client has them all, which the builder's type cannot follow through a loop.
    super(builder.create(registryOptions) as SharedRegistry);
    this.interval = resolveRegistryOptions(registryOptions).interval;
    this.logger = logger ?? console;
  }

  ready(): Promise<void> {
    return this.shared.ready();
  }

  /** Whether this process holds the registry's upstream (Redis connections, sweeps, health checks). */
  get isLeader(): boolean {
    return this.shared.isClusterClientLeader;
  }

  /** Registers a server of this process and keeps it alive until deregister(), close() or the process's death. */
  async register(input: RegisterInput): Promise<ServerRecord> {
    const { server, ...registration } = input;
    const bound = server?.address() as { address?: string; port?: number } | string | null | undefined;
    if (bound && typeof bound === 'object' && bound.port && registration.address === undefined && registration.port === undefined) {
      // A wildcard bind (0.0.0.0, ::) becomes the host's real address in toServerRecord.
      registration.address = `${bound.address?.includes(':') ? `[${bound.address}]` : bound.address ?? ''}:${bound.port}`;
    }
    const record = toServerRecord(registration);
    await this.shared.register(record);
    this.own.set(record.id, record);
    this.startHeartbeat();
    return (await this.shared.server(record.id)) ?? record;
  }

  async deregister(id: string): Promise<boolean> {
    this.own.delete(id);
    return this.shared.deregister(id);
  }

  setMaintenance(id: string, on: boolean): Promise<boolean> {
    const mine = this.own.get(id);
    if (mine) this.own.set(id, { ...mine, maintenance: on });
    return this.shared.setMaintenance(id, on);
  }

  /** Receives what forward.* sends to `serverId`. Returns a function that stops listening. */
  onMessage(serverId: string, listener: MessageListener): () => void {
    return this.listen({ channel: 'forward', serverId }, listener);
  }

  /** `added` / `removed` / `changed` events of every server, or of one type. Returns a function that stops watching. */
  watch(listener: WatchListener): () => void;
  watch(type: string, listener: WatchListener): () => void;
  watch(typeOrListener: string | WatchListener, maybeListener?: WatchListener): () => void {
    const type = typeof typeOrListener === 'string' ? typeOrListener : undefined;
    const listener = typeof typeOrListener === 'function' ? typeOrListener : maybeListener!;
    return this.listen({ channel: 'watch' }, (event: WatchEvent) => {
      if (type === undefined || event.server.type === type) listener(event);
    });
  }

  /**
   * Chooses a server of `type`; call report() when its request ends. Until then the request
   * counts as in flight (least-active, maxConcurrent), and this process heartbeats to say it is
   * alive: should it die first, the leader gives the request back once the alive TTL has passed.
   */
  async pick(type: string, options?: PickOptions): Promise<ServerRecord> {
    const server = await this.shared.pick(type, options ?? {}, this.caller);
    this.inFlight++;
    this.startHeartbeat();
    return server;
  }

  report(serverId: string, report: RequestReport): Promise<void> {
    if (this.inFlight > 0) this.inFlight--;
    // Delegated as invokeOneway, which returns nothing (as cluster-client's): its callback says whether the report was sent.
    const send = this.shared.report as unknown as (id: string, r: RequestReport, caller: string, sent: (err: Error | null) => void) => void;
    return new Promise((resolve, reject) => send(serverId, report, this.caller, (err) => (err ? reject(err) : resolve())));
  }

  /** Deregisters this process's servers and leaves the cluster. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await Promise.all([...this.own.keys()].map((id) => this.shared.deregister(id).catch(() => false)));
    this.own.clear();
    await this.shared.close();
  }

  /**
   * The leader replays a subscription's last value to every new subscriber; events and messages
   * from before this call are not news for this listener, so they are dropped by their timestamp.
   */
  private listen<T extends WatchEvent | ForwardedMessage>(reg: RegistrySubscription, listener: (value: T) => void): () => void {
    const since = Date.now();
    const wrapped = (value: WatchEvent | ForwardedMessage) => { if (value.at >= since) listener(value as T); };
    this.shared.subscribe(reg, wrapped);
    return () => this.shared.unSubscribe(reg, wrapped);
  }

  private startHeartbeat(): void {
    if (this.heartbeatTimer || this.closed) return;
    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.interval);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(): Promise<void> {
    if (this.heartbeatRunning || (this.own.size === 0 && this.inFlight === 0)) return;
    this.heartbeatRunning = true;
    try {
      await this.shared.heartbeat([...this.own.values()], this.caller);
    } catch (err) {
      if (!this.closed) this.logger.warn('[onelink/registry] heartbeat failed, retrying next interval:', (err as Error)?.message ?? err);
    } finally {
      this.heartbeatRunning = false;
    }
  }
}

export function createRegistry(options: CreateRegistryOptions = {}): Registry {
  return new Registry(options);
}
