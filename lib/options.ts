// Every option of a cluster client and its default, in one place.
import { debuglog } from 'node:util';
import type { Transcode } from '../protocol/index.js';
import { DEFAULT_MAX_FRAME_SIZE, defaultTranscode } from '../protocol/index.js';
import { InvalidOptionError } from './errors.js';

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
  /** Channel name: clients of one name share one DataClient in the leader. 1 to 256 characters. Default: the class name. */
  name?: string;
  /** Local TCP port the processes compete for: an integer from 1 to 65535. Default: env NODE_CLUSTER_CLIENT_PORT, else 7777. */
  port?: number;
  /**
   * A Unix socket to compete for instead of the port: an absolute path, or a bare name for a socket
   * in this user's runtime directory. Default: env ONELINK_PATH, else none (the TCP port).
   */
  path?: string;
  /**
   * The key followers and leader prove they hold is derived from this secret instead of read from the
   * runtime directory: for processes that share a network namespace but not a file system. Default: env ONELINK_SECRET.
   */
  secret?: string;
  /** No leader election: clients of one name in this process share one DataClient. Default: env NODE_CLUSTER_CLIENT_SINGLE_MODE === '1'. */
  singleMode?: boolean;
  /** true: this process must win the port or fail; false: never leads, waits for a leader. Default: undefined (compete). */
  isLeader?: boolean;
  /** How long calls wait for a leader (initial election and failover) before failing. Default 30000 ms. Every time is an integer from 1 to 2^31 - 1 ms. */
  maxWaitTime?: number;
  /** How long a follower waits for the handshake of whatever holds the port. Default 3000 ms. */
  connectTimeout?: number;
  /** How long a call waits for its response. Default 3000 ms. */
  responseTimeout?: number;
  /** Ping period on every leader/follower socket. Default 20000 ms. */
  heartbeatInterval?: number;
  /** Missed heartbeats before a peer is treated as lost: a positive integer. Default 3. */
  heartbeatMaxMisses?: number;
  /** Whether heartbeats are checked at all. Default true. */
  isCheckHeartbeat?: boolean;
  /** true: every subscriber gets every value; false: each value goes to exactly one subscriber. Default true. */
  isBroadcast?: boolean;
  /**
   * Clients of this name may be created with other constructor arguments in other processes; the
   * DataClient built from the leader's serves them all (cluster-client's behaviour; egg's
   * egg-watcher passes each process its own config). Default false: other arguments are another
   * client, refused with OptionsMismatchError, so two applications never share a DataClient by accident.
   */
  allowDifferentArgs?: boolean;
  /**
   * In a process that follows, a client whose subscription of a key has received no value within this
   * time emits 'error' (cluster-client's message), once per subscribe(). Default: undefined (off).
   */
  subscribeTimeout?: number;
  /** Encoding of arguments, results and subscription values. Default: msgpackr. */
  transcode?: Transcode;
  /** Subscription key of a registration object. Default: a stable JSON string. */
  formatKey?: (reg: unknown) => string;
  /** Default: console for info, warn and error; debug only with NODE_DEBUG=onelink. */
  logger?: Logger;
  /** Delegate every public method of the class (sync ones too), and subscribe/unSubscribe/publish/close as themselves. Default true. */
  autoGenerate?: boolean;
  /** Delegated method names that are safe to re-send after a failover (besides `delegate(name, { idempotent: true })`). */
  idempotent?: string[];
  /** Largest frame accepted on the wire: 64 KiB to 2 GiB - 1. Default 64 MiB. */
  maxFrameSize?: number;
  /** Calls waiting for a leader at most (a positive integer); more fail at once with NoLeaderError. Default 10000. */
  maxQueuedCalls?: number;
  /**
   * Leader: bytes queued for one follower that does not read. A follower over it for 1 s while more
   * is sent to it, at two heartbeats in a row, or over max(4x it, it + maxFrameSize) at any time, is
   * dropped. Default 16 MiB: a follower reading at all drains that in moments, and one result up to
   * maxFrameSize always fits.
   */
  maxQueuedBytes?: number;
  /**
   * Leader: connections at once. At the limit a new connection takes the place of the oldest one
   * still in its handshake (an authenticated follower is never evicted); when every connection is
   * authenticated, more are closed as they arrive. Default 1024.
   */
  maxConnections?: number;
  /** Leader: bytes of unfinished frames held across all connections; a connection that starts a frame beyond it is dropped. Default 256 MiB. */
  maxPartialFrameBytes?: number;
  /** Leader: requests of one follower being served at once; more are refused with PeerLimitError. Default 10000. */
  maxRequestsPerPeer?: number;
  /** Leader: channels one follower may have open; more OPENs are refused with PeerLimitError. Default 1000. */
  maxChannelsPerPeer?: number;
  /** Leader: OPENs of one follower waiting for their DataClient; more are refused with PeerLimitError. Default 100. */
  maxPendingOpensPerPeer?: number;
  /** Leader: subscriptions of one follower; more are refused with PeerLimitError. Default 10000. */
  maxSubscriptionsPerPeer?: number;
  /** Warnings a peer causes are logged once per peer and reason per this interval, with a count of those suppressed. Default 10000 ms. */
  peerLogInterval?: number;
}

export const DEFAULT_PORT = 7777;

const debugLog = debuglog('onelink');

/** console; debug (the election milestones) only with NODE_DEBUG=onelink. */
const defaultLogger: Logger = {
  info: (...args) => console.info(...args),
  warn: (...args) => console.warn(...args),
  error: (...args) => console.error(...args),
  debug: (...args) => debugLog('%s', args.map(String).join(' ')),
};

export const defaults = {
  maxWaitTime: 30000,
  connectTimeout: 3000,
  responseTimeout: 3000,
  heartbeatInterval: 20000,
  heartbeatMaxMisses: 3,
  isCheckHeartbeat: true,
  isBroadcast: true,
  allowDifferentArgs: false,
  autoGenerate: true,
  maxFrameSize: DEFAULT_MAX_FRAME_SIZE,
  maxQueuedCalls: 10000,
  maxQueuedBytes: 16 * 1024 * 1024,
  maxConnections: 1024,
  maxPartialFrameBytes: 256 * 1024 * 1024,
  maxRequestsPerPeer: 10000,
  maxChannelsPerPeer: 1000,
  maxPendingOpensPerPeer: 100,
  maxSubscriptionsPerPeer: 10000,
  peerLogInterval: 10000,
} as const;

export interface ResolvedOptions extends Required<Omit<ClusterOptions, 'isLeader' | 'idempotent' | 'name' | 'path' | 'secret' | 'subscribeTimeout'>> {
  name: string;
  path: string | undefined;
  secret: string | undefined;
  isLeader: boolean | undefined;
  subscribeTimeout: number | undefined;
  idempotent: string[];
}

/** Timers of Node fire at once beyond 2^31 - 1 ms (about 24.8 days): a longer wait is a mistake, not a wish. */
export const MAX_TIME_MS = 2 ** 31 - 1;
/**
 * The range of maxFrameSize. Below 64 KiB an ordinary error answer (message and stack) or handshake
 * would not fit, so a peer would be dropped for doing its job. A frame is assembled in one Buffer, and
 * 2 GiB - 1 is the largest length that stays a 32-bit signed integer for every Buffer and socket API.
 */
export const MIN_FRAME_SIZE = 64 * 1024;
export const MAX_FRAME_SIZE = 2 ** 31 - 1;
/** The name is sent in the connection object of every frame: short, so that it never weighs on a call. */
export const MAX_NAME_LENGTH = 256;

const TIME_OPTIONS = ['maxWaitTime', 'connectTimeout', 'responseTimeout', 'heartbeatInterval', 'subscribeTimeout', 'peerLogInterval'] as const;
const BOOLEAN_OPTIONS = ['singleMode', 'isCheckHeartbeat', 'isBroadcast', 'allowDifferentArgs', 'autoGenerate'] as const;

/**
 * The options with their defaults, every one checked: a value out of range throws InvalidOptionError
 * naming the option, the value and the range. Keys this library does not know are ignored, as
 * cluster-client does (egg passes some of its own).
 */
export function resolveOptions(options: ClusterOptions, className: string): ResolvedOptions {
  if (options === null || typeof options !== 'object') throw new InvalidOptionError('options', options, 'an object');
  const given = definedOnly(options);
  const resolved: ResolvedOptions = {
    ...defaults,
    port: given.port ?? portFromEnv(),
    singleMode: given.singleMode ?? singleModeFromEnv(),
    // An empty variable counts as unset.
    path: process.env.ONELINK_PATH || undefined,
    secret: process.env.ONELINK_SECRET || undefined,
    transcode: defaultTranscode,
    formatKey: stableKey,
    logger: defaultLogger,
    ...given,
    name: given.name ?? className,
    isLeader: given.isLeader,
    subscribeTimeout: given.subscribeTimeout,
    idempotent: given.idempotent ?? [],
  };
  checkOptions(resolved);
  return resolved;
}

const COUNT_OPTIONS = ['maxQueuedCalls', 'maxQueuedBytes', 'maxConnections', 'maxPartialFrameBytes', 'maxRequestsPerPeer', 'maxChannelsPerPeer', 'maxPendingOpensPerPeer', 'maxSubscriptionsPerPeer'] as const;

function checkOptions(o: ResolvedOptions): void {
  if (typeof o.name !== 'string' || o.name.length === 0 || o.name.length > MAX_NAME_LENGTH) {
    throw new InvalidOptionError('name', o.name, `a non-empty string of at most ${MAX_NAME_LENGTH} characters`);
  }
  checkInteger('port', o.port, 1, 65535);
  for (const option of TIME_OPTIONS) {
    if (option !== 'subscribeTimeout' || o[option] !== undefined) checkInteger(option, o[option], 1, MAX_TIME_MS, ' ms');
  }
  checkInteger('heartbeatMaxMisses', o.heartbeatMaxMisses, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('maxFrameSize', o.maxFrameSize, MIN_FRAME_SIZE, MAX_FRAME_SIZE, ' bytes (64 KiB to 2 GiB - 1)');
  for (const option of COUNT_OPTIONS) checkInteger(option, o[option], 1, Number.MAX_SAFE_INTEGER);
  for (const option of BOOLEAN_OPTIONS) {
    if (typeof o[option] !== 'boolean') throw new InvalidOptionError(option, o[option], 'true or false');
  }
  if (o.isLeader !== undefined && typeof o.isLeader !== 'boolean') throw new InvalidOptionError('isLeader', o.isLeader, 'true, false or undefined');
  for (const option of ['path', 'secret'] as const) {
    if (o[option] !== undefined && (typeof o[option] !== 'string' || o[option].length === 0)) throw new InvalidOptionError(option, o[option], 'a non-empty string');
  }
  if (!Array.isArray(o.idempotent) || !o.idempotent.every((name) => typeof name === 'string')) {
    throw new InvalidOptionError('idempotent', o.idempotent, 'an array of delegated method names');
  }
  if (!hasFunctions(o.transcode, ['encode', 'decode'])) throw new InvalidOptionError('transcode', o.transcode, 'an object with encode and decode functions');
  if (typeof o.formatKey !== 'function') throw new InvalidOptionError('formatKey', o.formatKey, 'a function (reg) => string');
  if (!hasFunctions(o.logger, ['info', 'warn', 'error']) || (o.logger.debug !== undefined && typeof o.logger.debug !== 'function')) {
    throw new InvalidOptionError('logger', o.logger, 'an object with info, warn and error functions (debug optional)');
  }
}

function checkInteger(option: string, value: unknown, min: number, max: number, unit = ''): void {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new InvalidOptionError(option, value, `an integer from ${min} to ${max}${unit}`);
  }
}

function hasFunctions(value: unknown, names: string[]): boolean {
  return value !== null && typeof value === 'object' && names.every((name) => typeof (value as Record<string, unknown>)[name] === 'function');
}

/** NODE_CLUSTER_CLIENT_PORT, as cluster-client reads it; set but not a port, it is an error, not 7777. */
function portFromEnv(): number {
  const text = process.env.NODE_CLUSTER_CLIENT_PORT;
  if (text === undefined || text === '') return DEFAULT_PORT;
  const port = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  checkInteger('NODE_CLUSTER_CLIENT_PORT', Number.isNaN(port) ? text : port, 1, 65535);
  return port;
}

/** NODE_CLUSTER_CLIENT_SINGLE_MODE: '1' is on, '0' or unset off; anything else ('true'...) is an error, not off. */
function singleModeFromEnv(): boolean {
  const text = process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE;
  if (text === undefined || text === '' || text === '0') return false;
  if (text === '1') return true;
  throw new InvalidOptionError('NODE_CLUSTER_CLIENT_SINGLE_MODE', text, '"1" (on), "0" or unset (off)');
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
