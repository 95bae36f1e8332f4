// Storage behind the registry. Runs in the leader only. Liveness: every server has an alive
// entry with a TTL that its registering process refreshes; servers() hides a server as soon
// as its entry expires, and sweep() removes it with its connections and announces it once.
import type { ServerRecord, WatchEventType } from './types.js';

export interface BackendEvent {
  type: WatchEventType;
  server: ServerRecord;
}

export interface RegistryBackend {
  start(): Promise<void>;
  /** Stores (or replaces) the record and makes it alive for ttlMs; says whether it was new. */
  register(record: ServerRecord, ttlMs: number): Promise<'added' | 'changed'>;
  /** Keeps the records alive; records the registry lost (expired and swept, or a Redis restart) are restored. Returns the restored ids. */
  heartbeat(records: ServerRecord[], ttlMs: number): Promise<string[]>;
  deregister(id: string): Promise<boolean>;
  setMaintenance(id: string, on: boolean): Promise<boolean>;
  /** Live servers only. */
  servers(): Promise<ServerRecord[]>;
  server(id: string): Promise<ServerRecord | null>;
  /** Removes every server whose alive entry expired, with its connections; atomic, so concurrent sweepers remove (and announce) each server once. */
  sweep(): Promise<string[]>;
  /** False when the server is not live. */
  bind(connectionId: string, serverId: string): Promise<boolean>;
  unbind(connectionId: string): Promise<boolean>;
  lookupMany(connectionIds: string[]): Promise<(string | null)[]>;
  /** Delivers a forwarded message to the process(es) listening for serverId; true when some did. */
  publish(serverId: string, payload: Buffer): Promise<boolean>;
  /** Every change, from this machine or another. Called at most once per backend. */
  onEvent(listener: (event: BackendEvent) => void): Promise<void>;
  listenForward(serverId: string, listener: (payload: Buffer) => void): Promise<void>;
  unlistenForward(serverId: string): Promise<void>;
  close(): Promise<void>;
}
