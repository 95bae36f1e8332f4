// Sessions held in the leader's memory, so that every process on the machine sees the same ones.
// They are lost when the leader dies; a graceful leader change hands them over: the closing leader
// calls exportState() and the next leader's store receives the entries through importState().
import type { SessionData, SessionStore } from './contract.js';
import { StoreClosedError } from './errors.js';
import { STORE_DEFAULTS, type MemoryStoreOptions } from './options.js';
import { createSerializer } from './serializer.js';
import { assertTtlMs, assertTtlOption, sessionTtlMs } from './ttl.js';
import { assertSessionId, toPlainSession } from './validate.js';

/** What a closing leader's store hands to the next one: [sid, encoded session, expiresAt (epoch ms)]. */
export interface MemoryStoreState {
  entries: Array<[string, Buffer, number]>;
}

interface Entry {
  /** Encoded, so that no caller in the leader process can change a stored session by reference. */
  value: Buffer;
  expiresAt: number;
}

export class MemoryStore implements SessionStore {
  private readonly entries = new Map<string, Entry>();
  private readonly serializer = createSerializer('msgpack');
  private readonly sweepTimer: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: MemoryStoreOptions = {}) {
    assertTtlOption(options.ttl);
    // One timer for the whole store: expired entries are also skipped on every read, the sweep only frees memory.
    this.sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? STORE_DEFAULTS.memorySweepIntervalMs);
    this.sweepTimer.unref();
  }

  /** Called by the closing leader (synchronously, before close()); undefined when there is nothing to hand over. */
  exportState(): MemoryStoreState | undefined {
    if (this.options.handoff === false || this.closed) return undefined;
    const now = Date.now();
    const entries: MemoryStoreState['entries'] = [];
    for (const [sid, entry] of this.entries) if (entry.expiresAt > now) entries.push([sid, entry.value, entry.expiresAt]);
    return entries.length > 0 ? { entries } : undefined;
  }

  /** Called in the next leader with what the previous one exported; sessions written here meanwhile win. */
  async importState(state: unknown): Promise<void> {
    if (this.options.handoff === false || !isMemoryStoreState(state)) return;
    const now = Date.now();
    for (const entry of state.entries) {
      if (!Array.isArray(entry)) continue;
      const [sid, value, expiresAt] = entry as unknown[];
      if (typeof sid !== 'string' || !(value instanceof Uint8Array) || typeof expiresAt !== 'number') continue;
      if (expiresAt > now && !this.entries.has(sid)) this.entries.set(sid, { value: Buffer.from(value), expiresAt });
    }
  }

  async ready(): Promise<void> {
    this.assertOpen();
  }

  async get(sid: string): Promise<SessionData | null> {
    this.assertOpen();
    assertSessionId(sid);
    const entry = this.live(sid, Date.now());
    return entry ? (this.serializer.decode(entry.value) as SessionData) : null;
  }

  async set(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    this.assertOpen();
    assertSessionId(sid);
    assertTtlMs(ttlMs);
    const plain = toPlainSession(session);
    const now = Date.now();
    const expiresAt = this.expiresAt(plain, ttlMs, now);
    if (expiresAt <= now) {
      this.entries.delete(sid);
      return;
    }
    this.entries.set(sid, { value: this.serializer.encode(plain) as Buffer, expiresAt });
  }

  async touch(sid: string, session: SessionData, ttlMs?: number): Promise<void> {
    this.assertOpen();
    assertSessionId(sid);
    assertTtlMs(ttlMs);
    if (this.options.disableTouch) return;
    const now = Date.now();
    const entry = this.live(sid, now);
    if (!entry) return;
    const expiresAt = this.expiresAt(toPlainSession(session), ttlMs, now);
    if (expiresAt <= now) this.entries.delete(sid);
    else entry.expiresAt = expiresAt;
  }

  async destroy(sid: string): Promise<void> {
    this.assertOpen();
    assertSessionId(sid);
    this.entries.delete(sid);
  }

  async all(): Promise<Record<string, SessionData>> {
    this.assertOpen();
    const now = Date.now();
    const result: Record<string, SessionData> = {};
    for (const [sid, entry] of this.entries) {
      if (entry.expiresAt > now) result[sid] = this.serializer.decode(entry.value) as SessionData;
    }
    return result;
  }

  async length(): Promise<number> {
    return (await this.ids()).length;
  }

  async clear(): Promise<void> {
    this.assertOpen();
    this.entries.clear();
  }

  async ids(): Promise<string[]> {
    this.assertOpen();
    const now = Date.now();
    return [...this.entries].filter(([, entry]) => entry.expiresAt > now).map(([sid]) => sid);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.entries.clear();
  }

  private live(sid: string, now: number): Entry | undefined {
    const entry = this.entries.get(sid);
    if (!entry) return undefined;
    if (entry.expiresAt > now) return entry;
    this.entries.delete(sid);
    return undefined;
  }

  private expiresAt(session: SessionData, ttlMs: number | undefined, now: number): number {
    if (this.options.disableTTL) return Number.POSITIVE_INFINITY;
    return now + (ttlMs ?? sessionTtlMs(session, this.options.ttl, now));
  }

  private sweep(): void {
    const now = Date.now();
    for (const [sid, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(sid);
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosedError('memory');
  }
}

function isMemoryStoreState(state: unknown): state is MemoryStoreState {
  return typeof state === 'object' && state !== null && Array.isArray((state as MemoryStoreState).entries);
}
