// Every option of a cluster client and its default, in one place.
import type { Transcode } from '../protocol/index.js';
import { defaultTranscode } from '../protocol/index.js';

export interface Logger {
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug?(...args: unknown[]): void;
}

export type DelegateKind = 'invoke' | 'invokeOneway' | 'subscribe' | 'unSubscribe' | 'publish' | 'close';

export interface DelegateSpec {
  to: DelegateKind;
  /** Safe to run twice: re-sent to the new leader if the leader dies while the call is in flight. */
  idempotent?: boolean;
}

export interface ClusterOptions {
  /** Channel name: clients of one name share one DataClient in the leader. Default: the class name. */
  name?: string;
  /** Local TCP port the processes compete for. Default: env NODE_CLUSTER_CLIENT_PORT, else 7777. */
  port?: number;
  /** No leader election: clients of one name in this process share one DataClient. Default: env NODE_CLUSTER_CLIENT_SINGLE_MODE === '1'. */
  singleMode?: boolean;
  /** true: this process must win the port or fail; false: never leads, waits for a leader. Default: undefined (compete). */
  isLeader?: boolean;
  /** How long calls wait for a leader (initial election and failover) before failing. Default 30000 ms. */
  maxWaitTime?: number;
  /** How long a follower waits for the handshake of whatever holds the port. Default 3000 ms. */
  connectTimeout?: number;
  /** How long a call waits for its response. Default 3000 ms. */
  responseTimeout?: number;
  /** Ping period on every leader/follower socket. Default 20000 ms. */
  heartbeatInterval?: number;
  /** Missed heartbeats before a peer is treated as lost. Default 3. */
  heartbeatMaxMisses?: number;
  /** Whether heartbeats are checked at all. Default true. */
  isCheckHeartbeat?: boolean;
  /** true: every subscriber gets every value; false: each value goes to exactly one subscriber. Default true. */
  isBroadcast?: boolean;
  /** Warn when a subscription has received no value within this time. Default 20000 ms. */
  subscribeTimeout?: number;
  /** Encoding of arguments, results and subscription values. Default: msgpackr. */
  transcode?: Transcode;
  /** Subscription key of a registration object. Default: a stable JSON string. */
  formatKey?: (reg: unknown) => string;
  /** Default: console for info, warn and error; debug is silent. */
  logger?: Logger;
  /** Delegate every async method and subscribe/unSubscribe/publish/close. Default true. */
  autoGenerate?: boolean;
  /** Method names that are safe to re-send after a failover (besides `delegate(name, { idempotent: true })`). */
  idempotent?: string[];
  /** Largest frame accepted on the wire. Default 64 MiB. */
  maxFrameSize?: number;
  /** Calls waiting for a leader at most; more fail at once with NoLeaderError. Default 10000. */
  maxQueuedCalls?: number;
}

export const DEFAULT_PORT = 7777;

/** console, without debug: the election milestones logged at debug level are for whoever asks for them. */
const defaultLogger: Logger = {
  info: (...args) => console.info(...args),
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
};

export const defaults = {
  maxWaitTime: 30000,
  connectTimeout: 3000,
  responseTimeout: 3000,
  heartbeatInterval: 20000,
  heartbeatMaxMisses: 3,
  isCheckHeartbeat: true,
  isBroadcast: true,
  subscribeTimeout: 20000,
  autoGenerate: true,
  maxFrameSize: 64 * 1024 * 1024,
  maxQueuedCalls: 10000,
} as const;

export interface ResolvedOptions extends Required<Omit<ClusterOptions, 'isLeader' | 'idempotent' | 'name'>> {
  name: string;
  isLeader: boolean | undefined;
  idempotent: string[];
}

export function resolveOptions(options: ClusterOptions, className: string): ResolvedOptions {
  const envPort = Number(process.env.NODE_CLUSTER_CLIENT_PORT);
  return {
    ...defaults,
    port: options.port ?? (Number.isInteger(envPort) && envPort > 0 ? envPort : DEFAULT_PORT),
    singleMode: options.singleMode ?? process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE === '1',
    transcode: defaultTranscode,
    formatKey: stableKey,
    logger: defaultLogger,
    ...definedOnly(options),
    name: options.name ?? className,
    isLeader: options.isLeader,
    idempotent: options.idempotent ?? [],
  };
}

function definedOnly<T extends object>(obj: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  }
  return out;
}

/** JSON with object keys sorted, so that {a,b} and {b,a} subscribe to the same key. */
export function stableKey(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (v && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v) && !(v instanceof Date)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = v[k];
      return sorted;
    }
    return v;
  }) ?? 'undefined';
}
