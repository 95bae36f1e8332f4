// Every registry option and its documented default, in one place.
import type { RedisClusterConnectionOptions, RedisTarget } from '../redis/connect.js';
import type { StrategyName } from './balancer/strategy.js';

export interface BalancerOptions {
  /** Strategy for types not listed in `strategies`. Default 'round-robin'. */
  strategy?: StrategyName;
  /** Strategy per server type, e.g. `{ chat: 'sticky', api: 'least-latency' }`. */
  strategies?: Record<string, StrategyName>;
  /** Requests in flight allowed per server (between pick() and report()); 0 = unlimited. Default 0. */
  maxConcurrent?: number;
  /** When every server is at maxConcurrent: 'error' fails at once, 'wait' waits for a free slot. Default 'error'. */
  whenFull?: 'error' | 'wait';
  /** Longest wait for a free slot with whenFull 'wait', in ms; keep it below the cluster responseTimeout. Default 1000. */
  maxWaitMs?: number;
  /** Weight of the newest latency in the EWMA (0..1]. Default 0.3. */
  ewmaWeight?: number;
}

export interface RedisBackendOptions {
  /** redis:// URL. Default 'redis://127.0.0.1:6379'. */
  url?: string;
  /** Extra ioredis options (plain values only: they travel to the leader). */
  options?: Record<string, unknown>;
  /** A Redis Cluster instead of the single server at `url`: every registry key lives in one hash slot. */
  cluster?: RedisClusterConnectionOptions;
  /** How long the leader waits for Redis when it starts the registry, in ms (ERR_ONELINK_REGISTRY_UNAVAILABLE after). Default 5000. */
  startTimeoutMs?: number;
}

/** Options of the registry DataClient. Plain values only: they are sent to whichever process leads. */
export interface RegistryOptions {
  /** Prefix of every Redis key and channel, written as a hash tag: keys are `{namespace}servers`... Default 'onelink:registry:'. */
  namespace?: string;
  /** 'memory' keeps the registry in the leader (one machine); 'redis' shares it between machines. Default 'memory'. */
  backend?: 'memory' | 'redis';
  redis?: RedisBackendOptions;
  /** How often each registering process refreshes its servers' alive keys, in ms. Default 1000. */
  interval?: number;
  /** Slack added to `interval` for the alive key TTL (network, GC pauses), in ms. Default 1000. */
  latency?: number;
  /** A health check that has not answered within this many ms fails. Default 2000. */
  healthCheckTimeoutMs?: number;
  /** How long the leader may reuse its server list for pick(), in ms; watch events invalidate it sooner. Default 250. */
  pickCacheMs?: number;
  balancer?: BalancerOptions;
}

/** Every registry default, and the fixed bounds the registry works with. */
export const REGISTRY_DEFAULTS = {
  namespace: 'onelink:registry:',
  backend: 'memory' as 'memory' | 'redis',
  redisUrl: 'redis://127.0.0.1:6379',
  /** CLIENT SETNAME of the command connection(s) and of the subscriber. */
  redisConnectionName: 'onelink-registry',
  redisSubscriberConnectionName: 'onelink-registry-sub',
  /**
   * How long the leader waits for the registry's Redis when it starts the registry. ioredis would
   * retry the first PING through 20 reconnects (over a minute): a registry whose Redis is down at
   * start fails fast instead, and is started again when next used.
   */
  startTimeoutMs: 5000,
  /** With these two, a dead server's alive key expires 2 s after its last refresh and the next sweep (every interval) removes it: gone within 3 s. */
  interval: 1000,
  latency: 1000,
  /** Health check period when a registration gives none, in seconds. */
  healthCheckSeconds: 5,
  /** A health check that has not answered within this many ms fails. */
  healthCheckTimeoutMs: 2000,
  /** How long the leader may reuse its last server list for pick(); events invalidate it sooner. */
  pickCacheMs: 250,
  balancer: {
    strategy: 'round-robin' as StrategyName,
    maxConcurrent: 0,
    whenFull: 'error' as 'error' | 'wait',
    maxWaitMs: 1000,
    ewmaWeight: 0.3,
    /** Latency samples kept per server for the p50/p99 of metrics(); older samples are overwritten. */
    latencyWindow: 1024,
    /** Keys the sticky strategy remembers, so that a stream of one-off keys cannot grow memory forever. */
    stickyMaxKeys: 100_000,
    /** Ring points per server of consistent-hash: md5 digests of 4 points each, as ketama does. */
    consistentHashDigestsPerServer: 40,
  },
} as const;

export interface ResolvedRegistryOptions {
  namespace: string;
  backend: 'memory' | 'redis';
  /** Where the redis backend connects. */
  redis: RedisTarget;
  startTimeoutMs: number;
  interval: number;
  latency: number;
  healthCheckTimeoutMs: number;
  pickCacheMs: number;
  balancer: Required<Omit<BalancerOptions, 'strategies'>> & { strategies: Record<string, StrategyName> };
}

export function resolveRegistryOptions(options: RegistryOptions = {}): ResolvedRegistryOptions {
  const balancer = options.balancer ?? {};
  const namespace = options.namespace ?? REGISTRY_DEFAULTS.namespace;
  // Redis ignores an empty hash tag, and a brace would end the tag inside the namespace.
  if (namespace === '' || /[{}]/.test(namespace)) throw new TypeError(`registry namespace must be non-empty and without braces, got ${JSON.stringify(namespace)}`);
  if (options.redis?.url && options.redis.cluster) throw new TypeError('registry redis options: give either url or cluster, not both');
  return {
    namespace,
    backend: options.backend ?? REGISTRY_DEFAULTS.backend,
    redis: redisTarget(options.redis ?? {}),
    startTimeoutMs: options.redis?.startTimeoutMs ?? REGISTRY_DEFAULTS.startTimeoutMs,
    interval: options.interval ?? REGISTRY_DEFAULTS.interval,
    latency: options.latency ?? REGISTRY_DEFAULTS.latency,
    healthCheckTimeoutMs: options.healthCheckTimeoutMs ?? REGISTRY_DEFAULTS.healthCheckTimeoutMs,
    pickCacheMs: options.pickCacheMs ?? REGISTRY_DEFAULTS.pickCacheMs,
    balancer: {
      strategy: balancer.strategy ?? REGISTRY_DEFAULTS.balancer.strategy,
      strategies: balancer.strategies ?? {},
      maxConcurrent: balancer.maxConcurrent ?? REGISTRY_DEFAULTS.balancer.maxConcurrent,
      whenFull: balancer.whenFull ?? REGISTRY_DEFAULTS.balancer.whenFull,
      maxWaitMs: balancer.maxWaitMs ?? REGISTRY_DEFAULTS.balancer.maxWaitMs,
      ewmaWeight: balancer.ewmaWeight ?? REGISTRY_DEFAULTS.balancer.ewmaWeight,
    },
  };
}

/** `redis.options` apply to the single server's connection, or to every node connection of a cluster. */
function redisTarget(redis: RedisBackendOptions): RedisTarget {
  const extra = redis.options ?? {};
  if (!redis.cluster) return { redis: { ...extra, url: redis.url ?? REGISTRY_DEFAULTS.redisUrl } };
  const clusterOptions = (redis.cluster.options ?? {}) as { redisOptions?: Record<string, unknown> };
  return { cluster: { ...redis.cluster, options: { ...clusterOptions, redisOptions: { ...extra, ...clusterOptions.redisOptions } } } };
}

/** Time to live of an alive key: one refresh interval plus the allowed latency. */
export function aliveTtlMs(options: Pick<ResolvedRegistryOptions, 'interval' | 'latency'>): number {
  return options.interval + options.latency;
}
