// The one way onelink builds ioredis clients, for the session stores and the registry alike:
// ioredis is an optional peer, loaded only here, and every client gets its options merged the same
// way (documented defaults, then the user's options, then what the caller's code relies on).
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { loadPeer } from '../peer.js';

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

/** A single server, or a Redis Cluster. */
export type RedisTarget = { redis: RedisConnectionOptions } | { cluster: RedisClusterConnectionOptions };

export const REDIS_DEFAULTS = {
  /** Where a single-server client connects when neither a URL nor a host is given. */
  host: '127.0.0.1',
  port: 6379,
  /**
   * The options of a fail-fast client (`failFast: true`): failures are loud, never silent.
   * Every one of them may be overridden by the user's options.
   */
  failFast: {
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
    /** A connection attempt gives up after this long (ioredis then retries in the background). */
    connectTimeout: 5000,
  },
} as const;

export interface RedisClientParams {
  /** CLIENT SETNAME of every connection, unless the user's options name it. */
  connectionName: string;
  /**
   * true: the REDIS_DEFAULTS.failFast options (a caller that must know at once whether a write
   * happened). false: ioredis's own queueing and retries (a caller that re-sends everything on its
   * own schedule anyway, and prefers a command delayed through a reconnect to one failed).
   */
  failFast: boolean;
  /** true: the client connects on connect() or its first command, not when it is built. */
  lazyConnect: boolean;
  /** What needs ioredis, named in ERR_ONELINK_MISSING_PEER when it is not installed. */
  feature: string;
}

/** What createRedisClient hands to ioredis; separate so that the merging can be checked without a server. */
export type RedisClientPlan =
  | { kind: 'redis'; url: string | undefined; options: RedisOptions }
  | { kind: 'cluster'; nodes: Array<{ host: string; port: number }>; options: ClusterOptions };

/** The seed nodes as ioredis takes them. */
export function seedNodes(nodes: RedisClusterConnectionOptions['nodes']): Array<{ host: string; port: number }> {
  return nodes.map((node) => {
    if (typeof node !== 'string') return node;
    const at = node.lastIndexOf(':');
    return { host: node.slice(0, at), port: Number(node.slice(at + 1)) };
  });
}

/** "host:port" of the URL or seed nodes, for messages. */
export function describeTarget(target: RedisTarget): string {
  if ('cluster' in target) return `Redis Cluster ${seedNodes(target.cluster.nodes).map((n) => `${n.host}:${n.port}`).join(',')}`;
  const { url, host, port } = target.redis;
  return url ?? `redis://${host ?? REDIS_DEFAULTS.host}:${port ?? REDIS_DEFAULTS.port}`;
}

/** Defaults, then the user's options, then lazyConnect (the caller's code depends on it). */
export function redisClientPlan(target: RedisTarget, params: RedisClientParams): RedisClientPlan {
  const safety = params.failFast ? REDIS_DEFAULTS.failFast : {};
  if ('cluster' in target) {
    // The cluster refuses commands while it is not ready; each node connection must keep its own offline
    // queue, because the cluster sends the first command to a node before that node's connection is up.
    const { enableOfflineQueue, ...nodeSafety } = REDIS_DEFAULTS.failFast;
    const clusterSafety = params.failFast ? { enableOfflineQueue, enableReadyCheck: true } : {};
    const { redisOptions, ...clusterOptions } = (target.cluster.options ?? {}) as { redisOptions?: RedisOptions };
    return {
      kind: 'cluster',
      nodes: seedNodes(target.cluster.nodes),
      options: {
        ...clusterSafety,
        ...clusterOptions,
        lazyConnect: params.lazyConnect,
        redisOptions: { ...(params.failFast ? nodeSafety : {}), connectionName: params.connectionName, ...redisOptions },
      },
    };
  }
  const { url, ...rest } = target.redis;
  const address = url ? {} : { host: REDIS_DEFAULTS.host, port: REDIS_DEFAULTS.port };
  return {
    kind: 'redis',
    url,
    options: { ...safety, connectionName: params.connectionName, ...address, ...(rest as RedisOptions), lazyConnect: params.lazyConnect },
  };
}

export function createRedisClient(target: { redis: RedisConnectionOptions }, params: RedisClientParams): Redis;
export function createRedisClient(target: { cluster: RedisClusterConnectionOptions }, params: RedisClientParams): Cluster;
export function createRedisClient(target: RedisTarget, params: RedisClientParams): Redis | Cluster;
export function createRedisClient(target: RedisTarget, params: RedisClientParams): Redis | Cluster {
  const ioredis = loadPeer<typeof import('ioredis')>('ioredis', params.feature);
  const plan = redisClientPlan(target, params);
  if (plan.kind === 'cluster') return new ioredis.Cluster(plan.nodes, plan.options);
  // ioredis gives the first argument precedence, so explicit fields override the URL's parts.
  if (plan.url === undefined) return new ioredis.Redis(plan.options);
  return new (ioredis.Redis as unknown as new (options: RedisOptions, url: string) => Redis)(plan.options, plan.url);
}
