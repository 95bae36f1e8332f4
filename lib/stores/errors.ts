// Errors raised by the session stores. Codes are stable; messages may change.
import { registerErrorClass } from '../../protocol/errors.js';
import { OnelinkError } from '../errors.js';

/** A session id that is not a non-empty string of sane length without whitespace or control characters. */
export class InvalidSessionIdError extends OnelinkError {
  constructor(message: string) {
    super('ERR_ONELINK_INVALID_SESSION_ID', message);
  }
}

/** A session value that would not survive the trip to the store (function, symbol, cycle, class instance...). */
export class InvalidSessionValueError extends OnelinkError {
  constructor(message: string, readonly path: string) {
    super('ERR_ONELINK_INVALID_SESSION', message);
  }
}

/** The backend (Redis, Memcached) could not be reached or failed the command; the write may or may not have been applied. */
export class StoreUnavailableError extends OnelinkError {
  constructor(backend: string, operation: string, options?: { cause?: unknown }) {
    const reason = options?.cause instanceof Error ? `: ${options.cause.message}` : '';
    super('ERR_ONELINK_STORE_UNAVAILABLE', `${backend} store could not ${operation}${reason}`, options);
  }
}

/** The backend cannot answer this operation correctly (for example listing every session in Memcached). */
export class UnsupportedStoreOperationError extends OnelinkError {
  constructor(backend: string, operation: string, reason: string) {
    super('ERR_ONELINK_STORE_UNSUPPORTED', `${backend} store does not support ${operation}(): ${reason}`);
  }
}

/** The store was used after close(). */
export class StoreClosedError extends OnelinkError {
  constructor(backend: string) {
    super('ERR_ONELINK_STORE_CLOSED', `${backend} store is closed`);
  }
}

/** Store options that cannot work together or have the wrong type. */
export class StoreOptionsError extends OnelinkError {
  constructor(message: string) {
    super('ERR_ONELINK_STORE_OPTIONS', message);
  }
}

/** Data under a session key that the store's serializer cannot read back as a session (often a serializer mismatch). */
export class SessionDecodeError extends OnelinkError {
  constructor(backend: string, key: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_SESSION_DECODE', `${backend} store holds data under "${key}" that its serializer cannot read as a session; was it written with another serializer?`, options);
  }
}

for (const [code, Class] of [
  ['ERR_ONELINK_INVALID_SESSION_ID', InvalidSessionIdError],
  ['ERR_ONELINK_INVALID_SESSION', InvalidSessionValueError],
  ['ERR_ONELINK_STORE_UNAVAILABLE', StoreUnavailableError],
  ['ERR_ONELINK_STORE_UNSUPPORTED', UnsupportedStoreOperationError],
  ['ERR_ONELINK_STORE_CLOSED', StoreClosedError],
  ['ERR_ONELINK_STORE_OPTIONS', StoreOptionsError],
  ['ERR_ONELINK_SESSION_DECODE', SessionDecodeError],
] as const) {
  registerErrorClass(code, Class);
}
