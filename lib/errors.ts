// Typed errors. Every class has a stable `code` users can switch on; messages may change, codes do not.

export class OnelinkError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** The port is held by a process that does not speak onelink, or speaks another version of it. */
export class HandshakeError extends OnelinkError {
  constructor(message: string, readonly port: number, options?: { cause?: unknown }) {
    super('ERR_ONELINK_HANDSHAKE', message, options);
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
  constructor(port: number) {
    super('ERR_ONELINK_NOT_LEADER', `isLeader is true but 127.0.0.1:${port} is already held by another process`);
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
  constructor(name: string, waitedMs: number) {
    super('ERR_ONELINK_CHANNEL_UNAVAILABLE', `the leader process has created no client named "${name}" within ${waitedMs} ms`);
  }
}

export class ClientClosedError extends OnelinkError {
  constructor(name: string) {
    super('ERR_ONELINK_CLIENT_CLOSED', `client "${name}" is closed`);
  }
}

/** A value could not be encoded for the wire (a function, a symbol, a cyclic object with the default transcode...). */
export class EncodeError extends OnelinkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_ENCODE', message, options);
  }
}

/** An optional peer dependency (ioredis, memjs, express-session) is needed but not installed. */
export class MissingPeerDependencyError extends OnelinkError {
  constructor(readonly packageName: string, feature: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_MISSING_PEER', `${feature} needs the optional peer dependency "${packageName}", which is not installed: npm install ${packageName}`, options);
  }
}
