// Typed errors. Every class has a stable `code` users can switch on; messages may change, codes do not.
// Each is registered under its code, so an error reply from the leader is rebuilt as its class.
import { EncodeError, OnelinkError, registerErrorClass } from '../protocol/errors.js';

export { EncodeError, OnelinkError };

/** The port is held by a process that does not speak onelink, or speaks another version of it (`peerVersion`). */
export class HandshakeError extends OnelinkError {
  /** The protocol version of the leader, when it speaks another version of onelink. */
  readonly peerVersion?: number;

  constructor(message: string, readonly port: number, options?: { cause?: unknown; peerVersion?: number }) {
    super('ERR_ONELINK_HANDSHAKE', message, options);
    if (options?.peerVersion !== undefined) this.peerVersion = options.peerVersion;
  }
}

/**
 * The TCP port is bound by a socket that does not listen (listen() says EADDRINUSE, connect()
 * ECONNREFUSED): no process can lead on it and none can be reached there. Retried every second.
 */
export class EndpointBlockedError extends OnelinkError {
  constructor(message: string) {
    super('ERR_ONELINK_ENDPOINT_BLOCKED', message);
  }
}

/** Leader and follower were created with options that must agree but do not. */
export class OptionsMismatchError extends OnelinkError {
  constructor(message: string) {
    super('ERR_ONELINK_OPTIONS_MISMATCH', message);
  }
}

/** The leader died or closed while this (non-idempotent) call was in flight: it may or may not have run. */
export class LeaderLostError extends OnelinkError {
  constructor(method: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_LEADER_LOST', `leader was lost while "${method}" was in flight; it may or may not have run, and is not retried because it is not idempotent`, options);
  }
}

/** No leader could be reached within maxWaitTime, or the queue of calls waiting for one is full. */
export class NoLeaderError extends OnelinkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_NO_LEADER', message, options);
  }
}

/** `isLeader: true` was asked for, but another process holds the port. */
export class NotLeaderError extends OnelinkError {
  /** `endpoint`: a port, or the path of a Unix socket. */
  constructor(endpoint: number | string) {
    super('ERR_ONELINK_NOT_LEADER', `isLeader is true but ${typeof endpoint === 'number' ? `127.0.0.1:${endpoint}` : endpoint} is already held by another process`);
  }
}

export class ResponseTimeoutError extends OnelinkError {
  constructor(method: string, timeoutMs: number) {
    super('ERR_ONELINK_RESPONSE_TIMEOUT', `no response to "${method}" within ${timeoutMs} ms`);
  }
}

/** The leader was asked to run a method that was not delegated. */
export class MethodNotDelegatedError extends OnelinkError {
  constructor(method: string, name: string) {
    super('ERR_ONELINK_METHOD_NOT_DELEGATED', `"${method}" is not a delegated method of client "${name}"`);
  }
}

/** The leader process has no client of this name, so it cannot create its DataClient. */
export class ChannelUnavailableError extends OnelinkError {
  constructor(readonly clientName: string, readonly leaderPid: number, readonly leaderNames: string[], where: string) {
    const has = leaderNames.length ? `it has ${leaderNames.map((n) => `"${n}"`).join(', ')}` : 'it has none';
    super(
      'ERR_ONELINK_CHANNEL_UNAVAILABLE',
      `the leader of ${where} (pid ${leaderPid}) has no client named "${clientName}" (${has}): ` +
        `if another application holds ${where}, give each application its own port or name`,
    );
  }
}

export class ClientClosedError extends OnelinkError {
  constructor(name: string) {
    super('ERR_ONELINK_CLIENT_CLOSED', `client "${name}" is closed`);
  }
}

/**
 * A call's arguments or result do not fit in one frame of maxFrameSize bytes. It fails before
 * anything is sent, so the connection stays up and the call is never re-sent.
 */
export class FrameTooLargeError extends OnelinkError {
  constructor(readonly what: string, readonly size: number, readonly limit: number) {
    super('ERR_ONELINK_FRAME_TOO_LARGE', `${what} needs a frame of ${size} bytes, over the maxFrameSize limit of ${limit} bytes: send less, or raise maxFrameSize on every process`);
  }
}

/**
 * A closing leader refused a call it had not started. The follower sends such a call to the next
 * leader, idempotent or not, since it did not run; a caller sees it only when no next leader took it.
 */
export class LeaderClosingError extends OnelinkError {
  constructor(method: string) {
    super('ERR_ONELINK_LEADER_CLOSING', `the leader was closing and did not start "${method}"`);
  }
}

/** An optional peer dependency (ioredis, memjs, express-session) is needed but not installed. */
export class MissingPeerDependencyError extends OnelinkError {
  constructor(readonly packageName: string, feature: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_MISSING_PEER', `${feature} needs the optional peer dependency "${packageName}", which is not installed: npm install ${packageName}`, options);
  }
}

/** A peer (leader or follower) sent nothing, not even a heartbeat, for heartbeatMaxMisses periods: its socket is dropped. */
export class PeerSilentError extends OnelinkError {
  constructor(readonly remote: string, readonly missed: number, silentMs: number) {
    super('ERR_ONELINK_HEARTBEAT', `peer ${remote} missed ${missed} heartbeats (${silentMs} ms of silence)`);
  }
}

/** An option or argument outside what it accepts; the message names the valid values. */
export class InvalidOptionError extends OnelinkError {
  /** `expected`: the valid values, as a phrase ("a class", "one of invoke, ..."); `context`: what was refused, if not clear from `option`. */
  constructor(readonly option: string, readonly value: unknown, expected: string, context?: string) {
    super('ERR_ONELINK_INVALID_OPTION', `${context ? `${context}: ` : ''}invalid option ${option}: ${describe(value)}; expected ${expected}`);
  }
}

/** A short, readable rendering of any value: strings quoted, functions and objects by kind. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value && typeof value === 'object') return `${value.constructor?.name ?? 'object'} { ${Object.keys(value).slice(0, 5).join(', ')} }`;
  return String(value);
}

/** An observer (`onelink status`) asked the leader for something other than its stats. */
export class ObserverRefusedError extends OnelinkError {
  constructor(op: unknown) {
    super('ERR_ONELINK_OBSERVER_REFUSED', `an observer may only ask for stats, not for operation ${String(op)}`);
  }
}

/** A peer sent a request the leader cannot serve as sent: a field of the wrong type, a `reg` that cannot be keyed... */
export class BadRequestError extends OnelinkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_BAD_REQUEST', message, options);
  }
}

/** A peer went over one of the bounds on what one peer may hold (see the `max*` options): its request is refused, or the peer dropped. */
export class PeerLimitError extends OnelinkError {
  constructor(readonly limit: string, readonly value: number, message: string) {
    super('ERR_ONELINK_PEER_LIMIT', message);
  }
}

for (const [code, Class] of [
  ['ERR_ONELINK_HANDSHAKE', HandshakeError],
  ['ERR_ONELINK_ENDPOINT_BLOCKED', EndpointBlockedError],
  ['ERR_ONELINK_OPTIONS_MISMATCH', OptionsMismatchError],
  ['ERR_ONELINK_LEADER_LOST', LeaderLostError],
  ['ERR_ONELINK_NO_LEADER', NoLeaderError],
  ['ERR_ONELINK_NOT_LEADER', NotLeaderError],
  ['ERR_ONELINK_RESPONSE_TIMEOUT', ResponseTimeoutError],
  ['ERR_ONELINK_FRAME_TOO_LARGE', FrameTooLargeError],
  ['ERR_ONELINK_LEADER_CLOSING', LeaderClosingError],
  ['ERR_ONELINK_METHOD_NOT_DELEGATED', MethodNotDelegatedError],
  ['ERR_ONELINK_CHANNEL_UNAVAILABLE', ChannelUnavailableError],
  ['ERR_ONELINK_CLIENT_CLOSED', ClientClosedError],
  ['ERR_ONELINK_MISSING_PEER', MissingPeerDependencyError],
  ['ERR_ONELINK_HEARTBEAT', PeerSilentError],
  ['ERR_ONELINK_INVALID_OPTION', InvalidOptionError],
  ['ERR_ONELINK_OBSERVER_REFUSED', ObserverRefusedError],
  ['ERR_ONELINK_BAD_REQUEST', BadRequestError],
  ['ERR_ONELINK_PEER_LIMIT', PeerLimitError],
] as const) {
  registerErrorClass(code, Class);
}
