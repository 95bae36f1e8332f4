// The shared backend, held by the leader: one command connection (one per master on a Redis
// Cluster) and one subscriber per machine, whatever the number of local processes.
import { seedNodes, type RedisClusterConnectionOptions } from '../stores/options.js';
import type { BackendEvent, RegistryBackend } from './backend.js';
import { RegistryUnavailableError } from './errors.js';
import { loadIoredis } from './load-ioredis.js';
import { BIND, DEREGISTER, HEARTBEAT, LIVE_SERVERS, REGISTER, SET_MAINTENANCE, SWEEP, UNBIND } from './redis-scripts.js';
import type { ServerRecord } from './types.js';

/** How long the leader waits for the registry's Redis when it starts the registry. */
const START_TIMEOUT_MS = 5000;

const SCRIPTS = {
  registryRegister: REGISTER,
  registryHeartbeat: HEARTBEAT,
  registryDeregister: DEREGISTER,
  registrySweep: SWEEP,
  registrySetMaintenance: SET_MAINTENANCE,
  registryLiveServers: LIVE_SERVERS,
  registryBind: BIND,
  registryUnbind: UNBIND,
};

type ScriptName = keyof typeof SCRIPTS;

export interface RedisBackendConfig {
  url: string;
  /** A Redis Cluster instead of the server at `url`. */
  cluster: RedisClusterConnectionOptions | null;
  namespace: string;
  options: Record<string, unknown>;
}

export class RedisBackend implements RegistryBackend {
  private commands: any = null;
  private subscriber: any = null;
  private eventListener: ((event: BackendEvent) => void) | null = null;
  private readonly forwardListeners = new Map<string, (payload: Buffer) => void>();

  /**
   * The prefix of every key and channel: the namespace as a hash tag, so that every key lands in one
   * slot of a Redis Cluster and the scripts, which touch several keys, may run there.
   */
  private readonly ns: string;
  /**
   * The commands of the forward channels. On a Redis Cluster, PUBLISH counts only the receivers on
   * the node it reached, so forwarding uses sharded pub/sub there (Redis 7): the channel's slot
   * owner holds every subscriber and counts them all.
   */
  private readonly forwarding: { publish: string; subscribe: string; unsubscribe: string };

  constructor(private readonly config: RedisBackendConfig) {
    this.ns = `{${config.namespace}}`;
    this.forwarding = config.cluster
      ? { publish: 'spublish', subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe' }
      : { publish: 'publish', subscribe: 'subscribe', unsubscribe: 'unsubscribe' };
  }

  private get where(): string {
    const { cluster, url } = this.config;
    return cluster ? `Redis Cluster ${seedNodes(cluster.nodes).map((n) => `${n.host}:${n.port}`).join(',')}` : url;
  }

  async start(): Promise<void> {
    const { Redis, Cluster } = loadIoredis();
    const { cluster, url, options } = this.config;
    if (cluster) {
      const { redisOptions, ...clusterOptions } = (cluster.options ?? {}) as { redisOptions?: Record<string, unknown> };
      this.commands = new Cluster(seedNodes(cluster.nodes), {
        ...clusterOptions,
        redisOptions: { connectionName: 'onelink-registry', ...options, ...redisOptions },
      });
    } else {
      this.commands = new Redis(url, { connectionName: 'onelink-registry', ...options });
    }
    this.commands.on('error', ignoreConnectionError);
    // One declared key routes each script to the node of the namespace's slot.
    for (const [name, lua] of Object.entries(SCRIPTS)) this.commands.defineCommand(name, { numberOfKeys: 1, lua });
    // ioredis would retry this PING through 20 reconnects (over a minute) before failing: a registry
    // whose Redis is down at start fails fast instead, and is started again when next used.
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.commands.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new RegistryUnavailableError(this.where, START_TIMEOUT_MS)), START_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      this.commands.disconnect();
      throw err instanceof RegistryUnavailableError ? err : new RegistryUnavailableError(this.where, START_TIMEOUT_MS, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private run(script: ScriptName, ...args: (string | number)[]): Promise<any> {
    return this.commands[script](`${this.ns}servers`, this.ns, ...args);
  }

  async register(record: ServerRecord, ttlMs: number): Promise<'added' | 'changed'> {
    return (await this.run('registryRegister', record.id, encodeRecord(record), ttlMs)) === 1 ? 'added' : 'changed';
  }

  async heartbeat(records: ServerRecord[], ttlMs: number): Promise<string[]> {
    if (records.length === 0) return [];
    return this.run('registryHeartbeat', ttlMs, ...records.flatMap((r) => [r.id, encodeRecord(r)]));
  }

  async deregister(id: string): Promise<boolean> {
    return (await this.run('registryDeregister', id)) === 1;
  }

  async setMaintenance(id: string, on: boolean): Promise<boolean> {
    return (await this.run('registrySetMaintenance', id, on ? '1' : '0')) === 1;
  }

  async servers(): Promise<ServerRecord[]> {
    return decodeLive(await this.run('registryLiveServers'));
  }

  async server(id: string): Promise<ServerRecord | null> {
    return decodeLive(await this.run('registryLiveServers', id))[0] ?? null;
  }

  async sweep(): Promise<string[]> {
    return this.run('registrySweep');
  }

  async bind(connectionId: string, serverId: string): Promise<boolean> {
    return (await this.run('registryBind', connectionId, serverId)) === 1;
  }

  async unbind(connectionId: string): Promise<boolean> {
    return (await this.run('registryUnbind', connectionId)) === 1;
  }

  async lookupMany(connectionIds: string[]): Promise<(string | null)[]> {
    if (connectionIds.length === 0) return [];
    return this.commands.hmget(`${this.ns}conns`, ...connectionIds);
  }

  /** Whether a machine listens for the server. */
  async publish(serverId: string, payload: Buffer): Promise<boolean> {
    return (await this.commands[this.forwarding.publish](this.forwardChannel(serverId), payload)) > 0;
  }

  async onEvent(listener: (event: BackendEvent) => void): Promise<void> {
    this.eventListener = listener;
    await this.subscriberConnection().subscribe(`${this.ns}events`);
  }

  async listenForward(serverId: string, listener: (payload: Buffer) => void): Promise<void> {
    this.forwardListeners.set(serverId, listener);
    await this.subscriberConnection()[this.forwarding.subscribe](this.forwardChannel(serverId));
  }

  async unlistenForward(serverId: string): Promise<void> {
    if (!this.forwardListeners.delete(serverId) || !this.subscriber) return;
    await this.subscriber[this.forwarding.unsubscribe](this.forwardChannel(serverId));
  }

  async close(): Promise<void> {
    this.eventListener = null;
    this.forwardListeners.clear();
    const connections = [this.subscriber, this.commands].filter(Boolean);
    this.subscriber = this.commands = null;
    await Promise.all(connections.map((c: any) => c.quit().catch(() => c.disconnect())));
  }

  private forwardChannel(serverId: string): string {
    return `${this.ns}forward:${serverId}`;
  }

  /** Created on first use; ioredis re-subscribes it by itself after a reconnect. */
  private subscriberConnection(): any {
    if (this.subscriber) return this.subscriber;
    this.subscriber = this.config.cluster
      ? this.commands.duplicate([], { shardedSubscribers: true, redisOptions: { ...this.commands.options.redisOptions, connectionName: 'onelink-registry-sub' } })
      : this.commands.duplicate({ connectionName: 'onelink-registry-sub' });
    const eventsChannel = `${this.ns}events`;
    const forwardPrefix = `${this.ns}forward:`;
    // Anyone with access to Redis can publish on these channels: a message that is not ours is
    // dropped with a warning, never thrown out of ioredis's handler (that would crash the leader).
    const onMessage = (channelBuffer: Buffer, message: Buffer): void => {
      const channel = channelBuffer.toString('utf8');
      try {
        if (channel === eventsChannel) {
          const listener = this.eventListener;
          if (!listener) return;
          const parsed = JSON.parse(message.toString('utf8')) as { type: BackendEvent['type']; maintenance: boolean; server: ServerRecord };
          listener({ type: parsed.type, server: { ...parsed.server, maintenance: parsed.maintenance } });
        } else if (channel.startsWith(forwardPrefix)) {
          this.forwardListeners.get(channel.slice(forwardPrefix.length))?.(message);
        }
      } catch (err) {
        console.warn(`[onelink/registry] dropped a message on ${channel} that is not a registry message: ${(err as Error).message}`);
      }
    };
    this.subscriber.on('messageBuffer', onMessage);
    this.subscriber.on('smessageBuffer', onMessage);
    this.subscriber.on('error', ignoreConnectionError);
    return this.subscriber;
  }
}

/** Maintenance lives in its own hash so that a re-registration does not clear it. */
function encodeRecord(record: ServerRecord): string {
  const { maintenance: _maintenance, ...stored } = record;
  return JSON.stringify(stored);
}

function decodeLive(flat: (string | number)[]): ServerRecord[] {
  const records: ServerRecord[] = [];
  for (let i = 0; i < flat.length; i += 2) records.push({ ...(JSON.parse(String(flat[i])) as ServerRecord), maintenance: flat[i + 1] === 1 });
  return records;
}

/** Connection errors reach the commands they affect as rejections; without a listener ioredis prints each reconnect attempt. */
function ignoreConnectionError(): void {}
