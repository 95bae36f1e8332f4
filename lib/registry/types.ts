// Shapes shared by the registry backends, the leader's DataClient and the per-process facade.
// Everything here is plain data: it travels between processes (msgpackr) and through Redis (JSON).

/** spawn-style health check, run by each machine's leader. */
export interface HealthCheckConfig {
  /** Period, in seconds. Default 5. */
  seconds?: number;
  /** Path (appended to http://address) or full URL. Default '/'. */
  url?: string;
  /** The response body must match this regular expression (source text). */
  regexp?: string;
}

/** What a process passes to register(). */
export interface ServerRegistration {
  /** Unique id; default `${type}@${address}`. */
  id?: string;
  type: string;
  /** host:port other machines can reach; a wildcard host (0.0.0.0, ::) is replaced by the host's real address. */
  address?: string;
  /** With no address: this port on the host's real address. */
  port?: number;
  /** Higher value = preferred group for the 'priority' strategy. Default 0. */
  priority?: number;
  /** Relative share for 'weighted-round-robin'. Default 1. */
  weight?: number;
  meta?: Record<string, unknown>;
  healthCheck?: HealthCheckConfig;
}

/** A registered server as every process sees it. */
export interface ServerRecord {
  id: string;
  type: string;
  address: string;
  priority: number;
  weight: number;
  meta: Record<string, unknown>;
  healthCheck?: HealthCheckConfig;
  maintenance: boolean;
}

export type WatchEventType = 'added' | 'removed' | 'changed';

export interface WatchEvent {
  type: WatchEventType;
  server: ServerRecord;
  /** When the leader received the event (ms since epoch). */
  at: number;
}

/** Which targets (server ids, or connection ids for forward.connections) a forwarded message reached. */
export interface ForwardResult {
  reached: string[];
  unreached: string[];
}

/** What a server's message listener receives. */
export interface ForwardedMessage {
  /** The server the message was sent to. */
  serverId: string;
  /** Set by forward.connections(): the connections of this server the message is for. */
  connections?: string[];
  message: unknown;
  /** When the leader received it (ms since epoch). */
  at: number;
}

export type HealthState = 'passing' | 'failing' | 'unknown';
