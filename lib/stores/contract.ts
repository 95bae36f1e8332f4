// The contract every session store implements. Stores are DataClients: the leader constructs one
// and every process calls it through the cluster client, so arguments and results are plain data.

/** Plain session data: objects, arrays, strings, numbers, booleans, null, Dates and Buffers. */
export type SessionValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | Date
  | Uint8Array
  | SessionValue[]
  | { [key: string]: SessionValue };

/** The cookie part express-session keeps in every session; only `expires`/`originalMaxAge` matter to the stores. */
export interface SessionCookieData {
  expires?: Date | string | null;
  originalMaxAge?: number | null;
  maxAge?: number | null;
  [key: string]: SessionValue;
}

export interface SessionData {
  cookie?: SessionCookieData;
  [key: string]: SessionValue;
}

export interface SessionStore {
  /** The session, or null when there is none or it expired. */
  get(sid: string): Promise<SessionData | null>;
  /**
   * Stores the session. `ttlMs` overrides the TTL the store would derive from `session.cookie`
   * or its default; a TTL of zero or less deletes the session (its cookie has already expired).
   */
  set(sid: string, session: SessionData, ttlMs?: number): Promise<void>;
  /** Extends the life of an existing session without rewriting it; a missing session stays missing. */
  touch(sid: string, session: SessionData, ttlMs?: number): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** Every live session, keyed by session id. */
  all(): Promise<Record<string, SessionData>>;
  length(): Promise<number>;
  /** Deletes every session of this store (only keys under its prefix for shared backends). */
  clear(): Promise<void>;
  ids(): Promise<string[]>;
  ready(): Promise<void>;
  close(): Promise<void>;
}

export type StoreBackend = 'memory' | 'redis' | 'memcached';
