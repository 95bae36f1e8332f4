// The shared backend, held by the leader: one command connection (one per master on a Redis
// Cluster) and one subscriber per machine, whatever the number of local processes.
import type { Cluster, Redis } from 'ioredis';
import { ClientClosedError } from '../errors.js';
import { createRedisClient, describeTarget, type RedisTarget } from '../redis/connect.js';
import type { BackendEvent, RegistryBackend } from './backend.js';
import { RegistryUnavailableError } from './errors.js';
import { REGISTRY_DEFAULTS } from './options.js';
import { BIND, DEREGISTER, HEARTBEAT, LIVE_SERVERS, REGISTER, SET_MAINTENANCE, SWEEP, UNBIND } from './redis-scripts.js';
import type { ServerRecord } from './types.js';

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
type Connection = Redis | Cluster;
/** The scripts, as defineCommand adds them to the connection. */
type ScriptCommands = Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;
type PubSubCommand = (channel: string, ...rest: Buffer[]) => Promise<unknown>;

export interface RedisBackendConfig {
  target: RedisTarget;
  namespace: string;
  startTimeoutMs: number;
}

export class RedisBackend implements RegistryBackend {
  private commands: (Connection & ScriptCommands) | null = null;
  private subscriber: Connection | null = null;
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
    this.forwarding = this.isCluster
      ? { publish: 'spublish', subscribe: 'ssubscribe', unsubscribe: 'sunsubscribe' }
      : { publish: 'publish', subscribe: 'subscribe', unsubscribe: 'unsubscribe' };
  }

  private get isCluster(): boolean {
    return 'cluster' in this.config.target;
  }

  async start(): Promise<void> {
    const { target, startTimeoutMs } = this.config;
    // Not fail-fast: every registry write is re-sent by its process each interval anyway, so a command
    // may as well wait through a reconnect; the start alone is bounded, by startTimeoutMs.
    const commands = createRedisClient(target, {
      connectionName: REGISTRY_DEFAULTS.redisConnectionName,
      failFast: false,
      lazyConnect: false,
      feature: 'the Redis registry backend (backend: "redis")',
    });
    commands.on('error', ignoreConnectionError);
    // One declared key routes each script to the node of the namespace's slot.
    for (const [name, lua] of Object.entries(SCRIPTS)) commands.defineCommand(name, { numberOfKeys: 1, lua });
    this.commands = commands as Connection & ScriptCommands;
    // ioredis would retry this PING through 20 reconnects (over a minute) before failing: a registry
    // whose Redis is down at start fails fast instead, and is started again when next used.
    const where = describeTarget(target);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        commands.ping(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new RegistryUnavailableError(where, startTimeoutMs)), startTimeoutMs);
        }),
      ]);
    } catch (err) {
      commands.disconnect();
      throw err instanceof RegistryUnavailableError ? err : new RegistryUnavailableError(where, startTimeoutMs, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private get connection(): Connection & ScriptCommands {
    // Only reached after close(): the registry starts its backend before its first command.
    if (!this.commands) throw new ClientClosedError('registry Redis backend');
    return this.commands;
  }

  private run<T>(script: ScriptName, ...args: (string | number)[]): Promise<T> {
    return this.connection[script](`${this.ns}servers`, this.ns, ...args) as Promise<T>;
  }

  async register(record: ServerRecord, ttlMs: number): Promise<'added' | 'changed'> {
    return (await this.run('registryRegister', record.id, encodeRecord(record), ttlMs)) === 1 ? 'added' : 'changed';
  }

  async heartbeat(records: ServerRecord[], ttlMs: number): Promise<string[]> {
    if (records.length === 0) return [];
    return this.run<string[]>('registryHeartbeat', ttlMs, ...records.flatMap((r) => [r.id, encodeRecord(r)]));
  }

  async deregister(id: string): Promise<boolean> {
    return (await this.run('registryDeregister', id)) === 1;
  }

  async setMaintenance(id: string, on: boolean): Promise<boolean> {
    return (await this.run('registrySetMaintenance', id, on ? '1' : '0')) === 1;
  }

  async servers(): Promise<ServerRecord[]> {
    return decodeLive(await this.run<(string | number)[]>('registryLiveServers'));
  }

  async server(id: string): Promise<ServerRecord | null> {
    return decodeLive(await this.run<(string | number)[]>('registryLiveServers', id))[0] ?? null;
  }

  async sweep(): Promise<string[]> {
    return this.run<string[]>('registrySweep');
  }

  async bind(connectionId: string, serverId: string): Promise<boolean> {
    return (await this.run('registryBind', connectionId, serverId)) === 1;
  }

  async unbind(connectionId: string): Promise<boolean> {
    return (await this.run('registryUnbind', connectionId)) === 1;
  }

  async lookupMany(connectionIds: string[]): Promise<(string | null)[]> {
    if (connectionIds.length === 0) return [];
    return this.connection.hmget(`${this.ns}conns`, ...connectionIds);
  }

  /** Whether a machine listens for the server. */
  async publish(serverId: string, payload: Buffer): Promise<boolean> {
    const publish = pubSub(this.connection, this.forwarding.publish);
    return ((await publish(this.forwardChannel(serverId), payload)) as number) > 0;
  }

  async onEvent(listener: (event: BackendEvent) => void): Promise<void> {
    this.eventListener = listener;
    await this.subscriberConnection().subscribe(`${this.ns}events`);
  }

  async listenForward(serverId: string, listener: (payload: Buffer) => void): Promise<void> {
    this.forwardListeners.set(serverId, listener);
    await pubSub(this.subscriberConnection(), this.forwarding.subscribe)(this.forwardChannel(serverId));
  }

  async unlistenForward(serverId: string): Promise<void> {
    if (!this.forwardListeners.delete(serverId) || !this.subscriber) return;
    await pubSub(this.subscriber, this.forwarding.unsubscribe)(this.forwardChannel(serverId));
  }

  async close(): Promise<void> {
    this.eventListener = null;
    this.forwardListeners.clear();
    const connections = [this.subscriber, this.commands].filter((c) => c !== null);
    this.subscriber = this.commands = null;
    await Promise.all(connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private forwardChannel(serverId: string): string {
    return `${this.ns}forward:${serverId}`;
  }

  /** Created on first use; ioredis re-subscribes it by itself after a reconnect. */
  private subscriberConnection(): Connection {
    if (this.subscriber) return this.subscriber;
    const commands = this.connection;
    const connectionName = REGISTRY_DEFAULTS.redisSubscriberConnectionName;
    const subscriber: Connection = isCluster(commands)
      ? commands.duplicate([], { shardedSubscribers: true, redisOptions: { ...commands.options.redisOptions, connectionName } })
      : commands.duplicate({ connectionName });
    this.subscriber = subscriber;
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
    subscriber.on('messageBuffer', onMessage);
    subscriber.on('smessageBuffer', onMessage);
    subscriber.on('error', ignoreConnectionError);
    return subscriber;
  }
}

function isCluster(connection: Connection): connection is Cluster {
  return 'nodes' in connection && typeof connection.nodes === 'function';
}

/** PUBLISH/SUBSCRIBE/UNSUBSCRIBE or their sharded forms, chosen once by name in the constructor. */
function pubSub(connection: Connection, command: string): PubSubCommand {
  const method = (connection as unknown as Record<string, PubSubCommand>)[command];
  return method.bind(connection);
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
