// The embedded backend: the registry lives in the leader's memory, so it spans one machine.
// Same liveness rules as Redis: an entry expires ttlMs after its last refresh.
import type { BackendEvent, RegistryBackend } from './backend.js';
import type { ServerRecord } from './types.js';

interface Entry { record: ServerRecord; expiresAt: number }

export class MemoryBackend implements RegistryBackend {
  private readonly entries = new Map<string, Entry>();
  private readonly connections = new Map<string, string>();
  private readonly connectionsOf = new Map<string, Set<string>>();
  private readonly forwardListeners = new Map<string, (payload: Buffer) => void>();
  private eventListener: ((event: BackendEvent) => void) | null = null;

  async start(): Promise<void> {}

  async register(record: ServerRecord, ttlMs: number): Promise<'added' | 'changed'> {
    const previous = this.entries.get(record.id);
    const type = previous ? 'changed' : 'added';
    this.entries.set(record.id, { record: { ...record, maintenance: previous?.record.maintenance ?? record.maintenance }, expiresAt: Date.now() + ttlMs });
    this.emit(type, this.entries.get(record.id)!.record);
    return type;
  }

  async heartbeat(records: ServerRecord[], ttlMs: number): Promise<string[]> {
    const restored: string[] = [];
    for (const record of records) {
      const entry = this.entries.get(record.id);
      if (entry) {
        entry.expiresAt = Date.now() + ttlMs;
      } else {
        this.entries.set(record.id, { record, expiresAt: Date.now() + ttlMs });
        this.emit('added', record);
        restored.push(record.id);
      }
    }
    return restored;
  }

  async deregister(id: string): Promise<boolean> {
    return this.remove(id);
  }

  async setMaintenance(id: string, on: boolean): Promise<boolean> {
    const entry = this.liveEntry(id);
    if (!entry) return false;
    entry.record = { ...entry.record, maintenance: on };
    this.emit('changed', entry.record);
    return true;
  }

  async servers(): Promise<ServerRecord[]> {
    const now = Date.now();
    return [...this.entries.values()].filter((e) => e.expiresAt > now).map((e) => e.record);
  }

  async server(id: string): Promise<ServerRecord | null> {
    return this.liveEntry(id)?.record ?? null;
  }

  async sweep(): Promise<string[]> {
    const now = Date.now();
    const dead = [...this.entries].filter(([, e]) => e.expiresAt <= now).map(([id]) => id);
    for (const id of dead) this.remove(id);
    return dead;
  }

  async bind(connectionId: string, serverId: string): Promise<boolean> {
    if (!this.liveEntry(serverId)) return false;
    this.unbindNow(connectionId);
    this.connections.set(connectionId, serverId);
    let set = this.connectionsOf.get(serverId);
    if (!set) this.connectionsOf.set(serverId, (set = new Set()));
    set.add(connectionId);
    return true;
  }

  async unbind(connectionId: string): Promise<boolean> {
    return this.unbindNow(connectionId);
  }

  async lookupMany(connectionIds: string[]): Promise<(string | null)[]> {
    return connectionIds.map((id) => this.connections.get(id) ?? null);
  }

  async publish(serverId: string, payload: Buffer): Promise<boolean> {
    const listener = this.forwardListeners.get(serverId);
    if (!listener) return false;
    listener(payload);
    return true;
  }

  async onEvent(listener: (event: BackendEvent) => void): Promise<void> {
    this.eventListener = listener;
  }

  async listenForward(serverId: string, listener: (payload: Buffer) => void): Promise<void> {
    this.forwardListeners.set(serverId, listener);
  }

  async unlistenForward(serverId: string): Promise<void> {
    this.forwardListeners.delete(serverId);
  }

  async close(): Promise<void> {
    this.eventListener = null;
    this.forwardListeners.clear();
  }

  private liveEntry(id: string): Entry | undefined {
    const entry = this.entries.get(id);
    return entry && entry.expiresAt > Date.now() ? entry : undefined;
  }

  private remove(id: string): boolean {
    const entry = this.entries.get(id);
    if (!entry) return false;
    this.entries.delete(id);
    for (const connectionId of this.connectionsOf.get(id) ?? []) this.connections.delete(connectionId);
    this.connectionsOf.delete(id);
    this.emit('removed', entry.record);
    return true;
  }

  private unbindNow(connectionId: string): boolean {
    const serverId = this.connections.get(connectionId);
    if (serverId === undefined) return false;
    this.connections.delete(connectionId);
    this.connectionsOf.get(serverId)?.delete(connectionId);
    return true;
  }

  private emit(type: BackendEvent['type'], server: ServerRecord): void {
    // Asynchronous like a Redis message, so listeners never run inside the caller's call.
    const listener = this.eventListener;
    if (listener) queueMicrotask(() => listener({ type, server }));
  }
}
