// Sessions in Redis (a single server or a Redis Cluster) through ioredis. Built by the leader only,
// so the machine holds one Redis connection however many processes serve sessions.
import type { Cluster as IORedisCluster, Redis as IORedis } from 'ioredis';
import { OnelinkError } from '../errors.js';
import type { SessionData, SessionStore } from './contract.js';
import { StoreClosedError, StoreOptionsError, StoreUnavailableError } from './errors.js';
import { STORE_DEFAULTS, type RedisStoreOptions } from './options.js';
import { createRedisClient } from '../redis/connect.js';
import { createSerializer, decodeSession, type SessionSerializer } from './serializer.js';
import { assertTtlMs, assertTtlOption, sessionTtlMs } from './ttl.js';
import { assertSessionId, toPlainSession } from './validate.js';

type Client = IORedis | IORedisCluster;

export class RedisStore implements SessionStore {
  private readonly client: Client;
  private readonly prefix: string;
  private readonly serializer: SessionSerializer;
  private readonly scanCount: number;
  private closed = false;
  private connecting: Promise<void> | null = null;

  constructor(private readonly options: RedisStoreOptions = {}) {
    assertTtlOption(options.ttl);
    if (options.redis && options.cluster) throw new StoreOptionsError('give either redis or cluster options, not both');
    this.prefix = options.prefix ?? STORE_DEFAULTS.prefix;
    this.serializer = createSerializer(options.serializer);
    this.scanCount = options.scanCount ?? STORE_DEFAULTS.scanCount;
    const { connectionName } = STORE_DEFAULTS.redis;
    const params = { connectionName, failFast: true, lazyConnect: true, feature: 'RedisStore' };
    this.client = createRedisClient(options.cluster ? { cluster: options.cluster } : { redis: options.redis ?? {} }, params);
    // Connection errors surface as StoreUnavailableError on the calls they affect; without a listener ioredis prints them.
    this.client.on('error', () => {});
  }

  /**
   * Connects; rejects with StoreUnavailableError when Redis cannot be reached. ioredis keeps
   * reconnecting in the background, so calls succeed again once Redis is back, and so does the
   * next ready(): a failure is not remembered.
   */
  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new StoreClosedError('redis'));
    this.connecting ??= this.connect().catch((error: unknown) => {
      this.connecting = null;
      throw new StoreUnavailableError('redis', 'connect', { cause: error });
    });
    return this.connecting;
  }

  /** Opens the first connection, or waits for the outcome of the reconnection ioredis has under way. */
  private connect(): Promise<void> {
    const client = this.client;
    if (client.status === 'ready') return Promise.resolve();
    if (client.status === 'wait' || client.status === 'end') return client.connect();
    const waitMs = this.options.redis?.connectTimeout ?? STORE_DEFAULTS.redis.connectTimeout;
    return new Promise((resolve, reject) => {
      const settle = (error?: unknown): void => {
        clearTimeout(timer);
        client.off('ready', onReady);
        client.off('error', settle);
        client.off('end', onEnd);
        if (error) reject(error);
        else resolve();
      };
      const onReady = () => settle();
      const onEnd = () => settle(new Error('the connection to Redis ended'));
      const timer = setTimeout(() => settle(new Error(`not connected within ${waitMs} ms`)), waitMs);
      client.once('ready', onReady);
      client.once('error', settle);
      client.once('end', onEnd);
    });
  }

  async get(sid: string): Promise<SessionData | null> {
    assertSessionId(sid);
    const key = this.prefix + sid;
    const raw = await this.run('get a session', () => this.client.getBuffer(key));
    return raw === null ? null : decodeSession(this.serializer, 'redis', key, raw);
  }

  async set(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    assertSessionId(sid);
    assertTtlMs(ttlMs);
    const plain = toPlainSession(session);
    const key = this.prefix + sid;
    const value = this.serializer.encode(plain);
    if (this.options.disableTTL) {
      await this.run('set a session', () => this.client.set(key, value));
      return;
    }
    const ttl = ttlMs ?? sessionTtlMs(plain, this.options.ttl);
    if (ttl <= 0) {
      // The cookie has expired already: keeping the session would only waste memory.
      await this.run('delete an expired session', () => this.client.del(key));
      return;
    }
    await this.run('set a session', () => this.client.set(key, value, 'PX', Math.ceil(ttl)));
  }

  async touch(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    assertSessionId(sid);
    assertTtlMs(ttlMs);
    if (this.options.disableTouch || this.options.disableTTL) return;
    const key = this.prefix + sid;
    const ttl = ttlMs ?? sessionTtlMs(toPlainSession(session), this.options.ttl);
    if (ttl <= 0) await this.run('delete an expired session', () => this.client.del(key));
    else await this.run('touch a session', () => this.client.pexpire(key, Math.ceil(ttl)));
  }

  async destroy(sid: string): Promise<void> {
    assertSessionId(sid);
    await this.run('destroy a session', () => this.client.del(this.prefix + sid));
  }

  async all(): Promise<Record<string, SessionData>> {
    const result: Record<string, SessionData> = {};
    await this.forEachKeyBatch('list sessions', async (node, keys) => {
      const values = await this.readMany(node, keys);
      keys.forEach((key, i) => {
        const raw = values[i];
        // A key may expire between SCAN and GET.
        if (raw) result[key.slice(this.prefix.length)] = decodeSession(this.serializer, 'redis', key, raw);
      });
    });
    return result;
  }

  async length(): Promise<number> {
    return (await this.ids()).length;
  }

  async ids(): Promise<string[]> {
    // SCAN may return a key twice (when the keyspace is rehashed during the scan).
    const ids = new Set<string>();
    await this.forEachKeyBatch('list session ids', async (_node, keys) => {
      for (const key of keys) ids.add(key.slice(this.prefix.length));
    });
    return [...ids];
  }

  async clear(): Promise<void> {
    await this.forEachKeyBatch('clear sessions', async (node, keys) => {
      // One UNLINK per key: in a cluster the keys of one batch may sit in different slots.
      if (this.isCluster) await node.pipeline(keys.map((key) => ['unlink', key])).exec();
      else await node.unlink(...keys);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.client.quit();
    } catch {
      // Not connected: nothing to say goodbye to.
      this.client.disconnect();
    }
  }

  private get isCluster(): boolean {
    return this.options.cluster !== undefined;
  }

  private async readMany(node: IORedis, keys: string[]): Promise<Array<Buffer | null>> {
    if (!this.isCluster) return node.mgetBuffer(...keys);
    const replies = await node.pipeline(keys.map((key) => ['getBuffer', key])).exec();
    return (replies ?? []).map(([error, value]) => {
      if (error) throw error;
      return value as Buffer | null;
    });
  }

  /** SCAN (never KEYS) over every key of this store: on each master of a cluster, or on the single server. */
  private async forEachKeyBatch(operation: string, visit: (node: IORedis, keys: string[]) => Promise<void>): Promise<void> {
    const pattern = `${escapeGlob(this.prefix)}*`;
    await this.run(operation, async () => {
      const nodes = this.isCluster ? (this.client as IORedisCluster).nodes('master') : [this.client as IORedis];
      for (const node of nodes) {
        let cursor = '0';
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', this.scanCount);
          cursor = next;
          if (keys.length > 0) await visit(node, keys);
        } while (cursor !== '0');
      }
    });
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreClosedError('redis');
    try {
      // Commands are not queued while disconnected, so the first connection must be up before the first command.
      if (this.client.status === 'wait') await this.ready();
      return await command();
    } catch (error) {
      if (error instanceof OnelinkError) throw error;
      throw new StoreUnavailableError('redis', operation, { cause: error });
    }
  }
}

function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}
