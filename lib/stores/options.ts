// Options of the session stores and their documented defaults, in one place.
import type { SessionData } from './contract.js';

/** Seconds, as in connect-redis: a number, or a function of the session (only for stores built in the same process). */
export type TtlOption = number | ((session: SessionData) => number);

/** connect-redis style custom serializer; `parse` receives the stored text. */
export interface CustomSerializer {
  stringify(value: unknown): string | Buffer;
  parse(raw: string): unknown;
}

/**
 * 'msgpack' (default) keeps Dates and Buffers as they are; 'json' reads and writes the same data as
 * connect-redis's default serializer (Dates come back as strings).
 */
export type SerializerOption = 'msgpack' | 'json' | CustomSerializer;

export interface CommonStoreOptions {
  /** Key prefix in the backend. Default 'sess:'. */
  prefix?: string;
  /** Default TTL in seconds when the session cookie has no expiry. Default 86400 (one day). */
  ttl?: TtlOption;
  /** Store sessions without expiry. Default false. */
  disableTTL?: boolean;
  /** Make touch() a no-op (the TTL is then only extended when the session is saved). Default false. */
  disableTouch?: boolean;
  /** Default 'msgpack'. */
  serializer?: SerializerOption;
}

export interface MemoryStoreOptions extends Omit<CommonStoreOptions, 'prefix' | 'serializer'> {
  /** How often expired entries are swept out (one timer for the whole store). Default 60000 ms. */
  sweepIntervalMs?: number;
  /** Hand the sessions to the next leader when this leader closes gracefully. Default true. */
  handoff?: boolean;
}

/** Plain-data connection options handed to ioredis (any ioredis option that is plain data is accepted). */
export interface RedisConnectionOptions {
  /** redis:// or rediss:// URL; other fields override its parts. */
  url?: string;
  host?: string;
  port?: number;
  username?: string;
  password?: string;
  db?: number;
  connectionName?: string;
  connectTimeout?: number;
  commandTimeout?: number;
  enableOfflineQueue?: boolean;
  maxRetriesPerRequest?: number | null;
  [option: string]: unknown;
}

export interface RedisClusterConnectionOptions {
  /** Seed nodes, "host:port" or { host, port }. */
  nodes: Array<string | { host: string; port: number }>;
  /** ioredis Cluster options (plain data); `redisOptions` apply to every node connection. */
  options?: Record<string, unknown>;
}

/** The seed nodes as ioredis takes them. */
export function seedNodes(nodes: RedisClusterConnectionOptions['nodes']): Array<{ host: string; port: number }> {
  return nodes.map((node) => {
    if (typeof node !== 'string') return node;
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

export interface RedisStoreOptions extends CommonStoreOptions {
  /** A single Redis server. Default { host: '127.0.0.1', port: 6379 }. */
  redis?: RedisConnectionOptions;
  /** A Redis Cluster instead of a single server. */
  cluster?: RedisClusterConnectionOptions;
  /** COUNT hint of every SCAN in all()/length()/ids()/clear(). Default 100. */
  scanCount?: number;
}

export interface MemcachedStoreOptions extends CommonStoreOptions {
  /** "host:port,host:port", as memjs takes it. Default '127.0.0.1:11211'. */
  servers?: string;
  /** memjs client options (plain data: retries, timeout, conntimeout, keepAlive...). */
  memcached?: Record<string, unknown>;
  /**
   * Memcached cannot list keys, so clear() can only flush whole servers. It refuses unless this is
   * true, which says the servers hold nothing but these sessions. Default false.
   */
  flushOnClear?: boolean;
}

export const STORE_DEFAULTS = {
  prefix: 'sess:',
  ttlSeconds: 86400,
  scanCount: 100,
  serializer: 'msgpack' as const,
  memorySweepIntervalMs: 60_000,
  /** express-session ids are 32 characters; this leaves room for custom genid functions. */
  maxSessionIdLength: 256,
  /** Memcached refuses longer keys. */
  memcachedMaxKeyBytes: 250,
  memcachedServers: '127.0.0.1:11211',
  redis: {
    host: '127.0.0.1',
    port: 6379,
    connectionName: 'onelink-session',
    /**
     * A command sent while the connection is down fails at once instead of waiting in a queue to be
     * sent who knows when: the caller learns the write did not happen.
     */
    enableOfflineQueue: false,
    /** Commands in flight when the connection drops fail instead of being re-sent on reconnect. */
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    /** Wait until Redis has loaded its data after a restart before serving (no reads of a half-loaded set). */
    enableReadyCheck: true,
    /** A command without a reply fails after this long (it may still have been applied). */
    commandTimeout: 5000,
    connectTimeout: 5000,
  },
  memcached: {
    /** Seconds, as memjs counts. */
    timeout: 2,
    retries: 1,
  },
} as const;

/** Memcached reads expirations above 30 days as absolute Unix times. */
export const MEMCACHED_RELATIVE_EXPIRY_LIMIT_SECONDS = 60 * 60 * 24 * 30;
