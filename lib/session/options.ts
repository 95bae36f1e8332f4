// Options of SharedSessionStore and their documented defaults, in one place.
import type { ClusterOptions } from '../options.js';
import { argsDigest } from '../spec.js';
import type { MemcachedStoreOptions, MemoryStoreOptions, RedisClusterConnectionOptions, RedisConnectionOptions, StoreBackend, TtlOption } from '../stores/index.js';

export interface SharedSessionStoreOptions {
  /** Where the leader keeps the sessions. Default 'memory' (lost when the leader dies; see the README). */
  backend?: StoreBackend;
  /** Redis connection (backend 'redis'). Default { host: '127.0.0.1', port: 6379 }. */
  redis?: RedisConnectionOptions;
  /** Redis Cluster seed nodes and options (backend 'redis'), instead of `redis`. */
  redisCluster?: RedisClusterConnectionOptions;
  /** Memcached servers and memjs options (backend 'memcached'). Default { servers: '127.0.0.1:11211' }. */
  memcached?: Pick<MemcachedStoreOptions, 'servers' | 'memcached' | 'flushOnClear'>;
  /** Memory store tuning (backend 'memory'). */
  memory?: Pick<MemoryStoreOptions, 'sweepIntervalMs' | 'handoff'>;
  /** Key prefix in Redis/Memcached. Default 'sess:'. */
  prefix?: string;
  /** Seconds a session lives when its cookie has no expiry, or a function of the session. Default 86400. */
  ttl?: TtlOption;
  /** Store sessions without expiry. Default false. */
  disableTTL?: boolean;
  /** Make touch() a no-op. Default false. */
  disableTouch?: boolean;
  /** COUNT hint of SCAN (Redis). Default 100. */
  scanCount?: number;
  /** 'msgpack' keeps Dates and Buffers; 'json' shares data with connect-redis. Default 'msgpack'. */
  serializer?: 'msgpack' | 'json';
  /**
   * Cluster client options: `name` (default 'onelink-session:' and a digest of backend, connection
   * and prefix, so that stores of other configurations never share one), `port` (default 7777), timeouts...
   */
  onelink?: ClusterOptions;
}

export const SESSION_DEFAULTS = {
  backend: 'memory' as StoreBackend,
  channelName: 'onelink-session',
};

/**
 * The default client name of a store: one per configuration (backend, where it connects, key
 * prefix). Two applications on one port, or two stores in one process, that are configured
 * differently thus never share one store; a leader without that name refuses a follower at once.
 */
export function sessionChannelName(options: SharedSessionStoreOptions): string {
  const { backend = SESSION_DEFAULTS.backend, redis, redisCluster, memcached, prefix } = options;
  return `${SESSION_DEFAULTS.channelName}:${argsDigest([backend, redis ?? null, redisCluster ?? null, memcached?.servers ?? null, prefix ?? null]).slice(0, 12)}`;
}
