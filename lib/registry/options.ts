// Every registry option and its documented default, in one place.
import type { RedisClusterConnectionOptions } from '../stores/options.js';
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
  balancer?: BalancerOptions;
}

export const DEFAULT_NAMESPACE = 'onelink:registry:';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** With these two, a dead server's alive key expires 2 s after its last refresh and the next sweep (every interval) removes it: gone within 3 s. */
export const DEFAULT_INTERVAL_MS = 1000;
export const DEFAULT_LATENCY_MS = 1000;
export const DEFAULT_STRATEGY: StrategyName = 'round-robin';
export const DEFAULT_MAX_WAIT_MS = 1000;
export const DEFAULT_EWMA_WEIGHT = 0.3;
/** Health check period when a registration gives none, in seconds. */
export const DEFAULT_HEALTH_CHECK_SECONDS = 5;
/** A health check that has not answered within this many ms fails. */
export const HEALTH_CHECK_TIMEOUT_MS = 2000;
/** How long the leader may reuse its last server list for pick(); events invalidate it sooner. */
export const PICK_CACHE_MS = 250;

export interface ResolvedRegistryOptions {
  namespace: string;
  backend: 'memory' | 'redis';
  redisUrl: string;
  redisOptions: Record<string, unknown>;
  redisCluster: RedisClusterConnectionOptions | null;
  interval: number;
  latency: number;
  balancer: Required<Omit<BalancerOptions, 'strategies'>> & { strategies: Record<string, StrategyName> };
}

export function resolveRegistryOptions(options: RegistryOptions = {}): ResolvedRegistryOptions {
  const balancer = options.balancer ?? {};
  const namespace = options.namespace ?? DEFAULT_NAMESPACE;
  // Redis ignores an empty hash tag, and a brace would end the tag inside the namespace.
  if (namespace === '' || /[{}]/.test(namespace)) throw new TypeError(`registry namespace must be non-empty and without braces, got ${JSON.stringify(namespace)}`);
  if (options.redis?.url && options.redis.cluster) throw new TypeError('registry redis options: give either url or cluster, not both');
  return {
    namespace,
    backend: options.backend ?? 'memory',
    redisUrl: options.redis?.url ?? DEFAULT_REDIS_URL,
    redisOptions: options.redis?.options ?? {},
    redisCluster: options.redis?.cluster ?? null,
    interval: options.interval ?? DEFAULT_INTERVAL_MS,
    latency: options.latency ?? DEFAULT_LATENCY_MS,
    balancer: {
      strategy: balancer.strategy ?? DEFAULT_STRATEGY,
      strategies: balancer.strategies ?? {},
      maxConcurrent: balancer.maxConcurrent ?? 0,
      whenFull: balancer.whenFull ?? 'error',
      maxWaitMs: balancer.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
      ewmaWeight: balancer.ewmaWeight ?? DEFAULT_EWMA_WEIGHT,
    },
  };
}

/** Time to live of an alive key: one refresh interval plus the allowed latency. */
export function aliveTtlMs(options: Pick<ResolvedRegistryOptions, 'interval' | 'latency'>): number {
  return options.interval + options.latency;
}
