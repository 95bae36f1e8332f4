// An express-session Store whose sessions live in a DataClient held by the leader process, so that
// every worker on the machine shares them and the machine holds one upstream connection.
import type { SessionData as ExpressSessionData, Store as ExpressStore } from 'express-session';
import { cluster } from '../index.js';
import {
  MemcachedStore,
  MemoryStore,
  RedisStore,
  sessionTtlMs,
  StoreOptionsError,
  assertSessionId,
  toPlainSession,
  type SessionData,
} from '../stores/index.js';
import { loadPeer } from '../peer.js';
import { SESSION_DEFAULTS, sessionChannelName, type SharedSessionStoreOptions } from './options.js';

type ExpressSessionModule = typeof import('express-session');
type StoreClass = typeof MemoryStore | typeof RedisStore | typeof MemcachedStore;
/** express-session's callbacks: an error (null or absent on success), then the value. */
type Callback<T = void> = (err?: unknown, value?: T) => void;

const { Store } = loadPeer<ExpressSessionModule>('express-session', 'onelink/session');

/** Every store method is safe to re-send to a new leader: each one sets, reads or deletes as a whole. */
const IDEMPOTENT = { to: 'invoke', idempotent: true } as const;

export class SharedSessionStore extends (Store as unknown as new () => ExpressStore) {
  /** The cluster client: its methods run on the store in the leader. */
  readonly client: ReturnType<ReturnType<typeof sharedStore>['create']>;
  private readonly options: SharedSessionStoreOptions;

  constructor(options: SharedSessionStoreOptions = {}) {
    super();
    this.options = options;
    const backend = options.backend ?? SESSION_DEFAULTS.backend;
    const [DataClient, storeOptions] = dataClientFor(backend, options);
    this.client = sharedStore(DataClient as typeof MemoryStore, options).create(storeOptions);
    // Errors also reach ready() and every call; re-emitted only when someone listens, so they never crash the worker.
    this.client.on('error', (error: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', error);
    });
  }

  /** Resolves once a leader serves the store; rejects with the backend's connection error. */
  ready(): Promise<void> {
    return this.client.ready();
  }

  get isLeader(): boolean {
    return this.client.isClusterClientLeader;
  }

  override get(sid: string, callback: Callback<ExpressSessionData | null>): void {
    settle(this.run(sid, () => this.client.get(sid)) as Promise<unknown> as Promise<ExpressSessionData | null>, callback);
  }

  override set(sid: string, session: ExpressSessionData, callback?: Callback): void {
    settle(this.run(sid, () => {
      const plain = toPlainSession(session);
      return this.client.set(sid, plain, this.ttlMs(plain));
    }), callback);
  }

  override touch(sid: string, session: ExpressSessionData, callback?: () => void): void {
    settle(this.run(sid, async () => {
      if (this.options.disableTouch || this.options.disableTTL) return;
      const plain = toPlainSession(session);
      await this.client.touch(sid, plain, this.ttlMs(plain));
    }), callback as Callback | undefined);
  }

  override destroy(sid: string, callback?: Callback): void {
    settle(this.run(sid, () => this.client.destroy(sid)), callback);
  }

  /** Every session keyed by id, as express-session's MemoryStore gives them. Not available with Memcached. */
  override all(callback: Callback<Record<string, ExpressSessionData>>): void {
    settle(this.client.all() as Promise<unknown> as Promise<Record<string, ExpressSessionData>>, callback);
  }

  override length(callback: Callback<number>): void {
    settle(this.client.length(), callback);
  }

  override clear(callback?: Callback): void {
    settle(this.client.clear(), callback);
  }

  ids(callback: Callback<string[]>): void {
    settle(this.client.ids(), callback);
  }

  /** Leaves the cluster; the last process to close shuts the store (and its connection) down. */
  close(): Promise<void> {
    return this.client.close();
  }

  /** Checks the id here, so that a bad one fails before it travels to the leader. */
  private async run<T>(sid: string, call: () => Promise<T>): Promise<T> {
    assertSessionId(sid);
    return call();
  }

  private ttlMs(session: SessionData): number | undefined {
    // The TTL is worked out in the caller's process, so a ttl function never has to cross to the leader.
    return this.options.disableTTL ? undefined : sessionTtlMs(session, this.options.ttl);
  }
}

function dataClientFor(backend: string, options: SharedSessionStoreOptions): [StoreClass, object] {
  const common = {
    prefix: options.prefix,
    disableTTL: options.disableTTL,
    disableTouch: options.disableTouch,
    serializer: options.serializer,
  }
  switch (backend) {
    case 'redis':
      return [RedisStore, { ...common, redis: options.redisCluster ? undefined : options.redis, cluster: options.redisCluster, scanCount: options.scanCount }];
    case 'memcached':
      return [MemcachedStore, { ...common, ...options.memcached }];
    case 'memory':
      return [MemoryStore, { disableTTL: options.disableTTL, disableTouch: options.disableTouch, ...options.memory }];
    default:
      throw new StoreOptionsError(`backend must be 'memory', 'redis' or 'memcached', got ${String(backend)}`);
  }
}

function settle<T>(promise: Promise<T>, callback: Callback<T> | undefined): void {
  promise.then(
    (value) => callback?.(null, (value ?? null) as T),
    (error: unknown) => {
      if (callback) callback(error);
    },
  );
}

/** The store's methods, and nothing else, as a cluster client of the store in the leader. */
function sharedStore(DataClient: typeof MemoryStore, options: SharedSessionStoreOptions) {
  return cluster(DataClient, { name: sessionChannelName(options), ...options.onelink, autoGenerate: false })
    .delegate('get', IDEMPOTENT)
    .delegate('set', IDEMPOTENT)
    .delegate('touch', IDEMPOTENT)
    .delegate('destroy', IDEMPOTENT)
    .delegate('all', IDEMPOTENT)
    .delegate('length', IDEMPOTENT)
    .delegate('clear', IDEMPOTENT)
    .delegate('ids', IDEMPOTENT);
}
