// Options of SharedSessionStore and their documented defaults, in one place.
import type { ClusterOptions } from '../options.js';
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
  /** Cluster client options: `name` (default 'onelink-session'), `port` (default 7777), timeouts... */
  onelink?: ClusterOptions;
}

export const SESSION_DEFAULTS = {
  backend: 'memory' as StoreBackend,
  channelName: 'onelink-session',
};
