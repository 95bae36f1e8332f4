// Sessions in Memcached through memjs, built by the leader only. Memcached cannot list its keys,
// so all()/ids()/length() fail with a clear error instead of answering wrongly, and clear() must be
// allowed explicitly because it flushes whole servers.
import type { Client as MemjsClient } from 'memjs';
import { OnelinkError } from '../errors.js';
import type { SessionData, SessionStore } from './contract.js';
import { InvalidSessionIdError, StoreClosedError, StoreUnavailableError, UnsupportedStoreOperationError } from './errors.js';
import { STORE_DEFAULTS, type MemcachedStoreOptions } from './options.js';
import { loadPeer } from '../peer.js';
import { createSerializer, decodeSession, type SessionSerializer } from './serializer.js';
import { assertTtlMs, assertTtlOption, sessionTtlMs } from './ttl.js';
import { assertSessionId, toPlainSession } from './validate.js';

type MemjsModule = typeof import('memjs');

const NO_KEY_LISTING = 'Memcached has no way to list its keys';

export class MemcachedStore implements SessionStore {
  private readonly client: MemjsClient;
  private readonly prefix: string;
  private readonly serializer: SessionSerializer;
  private closed = false;

  constructor(private readonly options: MemcachedStoreOptions = {}) {
    assertTtlOption(options.ttl);
    this.prefix = options.prefix ?? STORE_DEFAULTS.prefix;
    this.serializer = createSerializer(options.serializer);
    const memjs = loadPeer<MemjsModule>('memjs', 'MemcachedStore');
    this.client = memjs.Client.create(options.servers ?? STORE_DEFAULTS.memcachedServers, {
      ...STORE_DEFAULTS.memcached,
      ...options.memcached,
      // Failures reach the caller as StoreUnavailableError; memjs would also print them.
      logger: { log: () => {} },
    });
  }

  /** Makes one round trip, so that an unreachable server fails here rather than on the first request. */
  async ready(): Promise<void> {
    await this.run('connect', () => this.client.get(`${this.prefix}onelink-ready-probe`));
  }

  async get(sid: string): Promise<SessionData | null> {
    const key = this.key(sid);
    const { value } = await this.run('get a session', () => this.client.get(key));
    return value === null ? null : decodeSession(this.serializer, 'memcached', key, value);
  }

  async set(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    const key = this.key(sid);
    assertTtlMs(ttlMs);
    const plain = toPlainSession(session);
    const value = this.serializer.encode(plain);
    const buffer = typeof value === 'string' ? Buffer.from(value) : value;
    if (this.options.disableTTL) {
      await this.run('set a session', () => this.client.set(key, buffer, { expires: 0 }));
      return;
    }
    const ttl = ttlMs ?? sessionTtlMs(plain, this.options.ttl);
    if (ttl <= 0) {
      await this.run('delete an expired session', () => this.client.delete(key));
      return;
    }
    await this.run('set a session', () => this.client.set(key, buffer, { expires: memcachedExpiry(ttl) }));
  }

  async touch(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    const key = this.key(sid);
    assertTtlMs(ttlMs);
    if (this.options.disableTouch || this.options.disableTTL) return;
    const ttl = ttlMs ?? sessionTtlMs(toPlainSession(session), this.options.ttl);
    if (ttl <= 0) await this.run('delete an expired session', () => this.client.delete(key));
    else await this.run('touch a session', () => this.client.touch(key, memcachedExpiry(ttl)));
  }

  async destroy(sid: string): Promise<void> {
    const key = this.key(sid);
    await this.run('destroy a session', () => this.client.delete(key));
  }

  async all(): Promise<Record<string, SessionData>> {
    throw new UnsupportedStoreOperationError('memcached', 'all', NO_KEY_LISTING);
  }

  async length(): Promise<number> {
    throw new UnsupportedStoreOperationError('memcached', 'length', NO_KEY_LISTING);
  }

  async ids(): Promise<string[]> {
    throw new UnsupportedStoreOperationError('memcached', 'ids', NO_KEY_LISTING);
  }

  /** Flushes every configured server, and only when flushOnClear says they hold nothing else. */
  async clear(): Promise<void> {
    if (!this.options.flushOnClear) {
      throw new UnsupportedStoreOperationError('memcached', 'clear', `${NO_KEY_LISTING}, so clearing means flushing the whole server; set flushOnClear: true if it holds only these sessions`);
    }
    await this.run('flush the servers', () => this.client.flush());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private key(sid: string): string {
    assertSessionId(sid);
    const key = this.prefix + sid;
    if (Buffer.byteLength(key) > STORE_DEFAULTS.memcachedMaxKeyBytes) {
      throw new InvalidSessionIdError(`session key "${key}" is longer than the ${STORE_DEFAULTS.memcachedMaxKeyBytes} bytes Memcached accepts`);
    }
    return key;
  }

  private async run<T>(operation: string, command: () => Promise<T>): Promise<T> {
    if (this.closed) throw new StoreClosedError('memcached');
    try {
      return await command();
    } catch (error) {
      if (error instanceof OnelinkError) throw error;
      throw new StoreUnavailableError('memcached', operation, { cause: error });
    }
  }
}

/** Memcached takes seconds, and reads anything above 30 days as an absolute Unix time. */
function memcachedExpiry(ttlMs: number, now: number = Date.now()): number {
  const seconds = Math.max(1, Math.ceil(ttlMs / 1000));
  return seconds > STORE_DEFAULTS.memcachedRelativeExpiryLimitSeconds ? Math.floor(now / 1000) + seconds : seconds;
}
