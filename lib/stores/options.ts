// Options of the session stores and their documented defaults, in one place.
import { REDIS_DEFAULTS, type RedisClusterConnectionOptions, type RedisConnectionOptions } from '../redis/connect.js';
import type { SessionData } from './contract.js';

export type { RedisClusterConnectionOptions, RedisConnectionOptions };

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

/** Every store default, and the fixed bounds the stores work with; the options above say what each one does. */
export const STORE_DEFAULTS = {
  /** `prefix` */
  prefix: 'sess:',
  /** `ttl`: one day. */
  ttlSeconds: 86400,
  /** `scanCount` (RedisStore) */
  scanCount: 100,
  /** `serializer` */
  serializer: 'msgpack' as const,
  /** `sweepIntervalMs` (MemoryStore) */
  memorySweepIntervalMs: 60_000,
  /** express-session ids are 32 characters; this leaves room for custom genid functions. */
  maxSessionIdLength: 256,
  /** Memcached refuses longer keys. */
  memcachedMaxKeyBytes: 250,
  /** Memcached reads expirations above 30 days as absolute Unix times. */
  memcachedRelativeExpiryLimitSeconds: 60 * 60 * 24 * 30,
  /** `servers` (MemcachedStore) */
  memcachedServers: '127.0.0.1:11211',
  /** A single server's connection: the fail-fast options of lib/redis/connect.ts (see the README, "Failures are loud"). */
  redis: {
    host: REDIS_DEFAULTS.host,
    port: REDIS_DEFAULTS.port,
    connectionName: 'onelink-session',
    ...REDIS_DEFAULTS.failFast,
  },
  /** memjs options, under the user's `memcached` options. */
  memcached: {
    /** Seconds, as memjs counts. */
    timeout: 2,
    retries: 1,
  },
} as const;
