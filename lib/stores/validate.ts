// Checks done before a session id or value leaves the caller's process, so that a bad one fails
// with a clear error instead of being silently mangled by an encoder.
import type { SessionData, SessionValue } from './contract.js';
import { InvalidSessionIdError, InvalidSessionValueError } from './errors.js';
import { STORE_DEFAULTS } from './options.js';

// Whitespace and control characters would break Memcached keys and log lines, and never come from express-session.
const FORBIDDEN_ID_CHARS = /[\s\p{Cc}]/u;

export function assertSessionId(sid: unknown, maxLength: number = STORE_DEFAULTS.maxSessionIdLength): asserts sid is string {
  if (typeof sid !== 'string') {
    throw new InvalidSessionIdError(`session id must be a string, got ${describeType(sid)}`);
  }
  if (sid.length === 0) throw new InvalidSessionIdError('session id must not be empty');
  if (sid.length > maxLength) {
    throw new InvalidSessionIdError(`session id is ${sid.length} characters long; the limit is ${maxLength}`);
  }
  if (FORBIDDEN_ID_CHARS.test(sid)) {
    throw new InvalidSessionIdError('session id must not contain whitespace or control characters');
  }
}

/**
 * Returns a plain copy of the session that every serializer keeps intact, or throws
 * InvalidSessionValueError naming the offending path. Objects with a toJSON() (express-session's
 * Cookie, for one) are replaced by its result, as JSON.stringify would do.
 */
export function toPlainSession(session: unknown): SessionData {
  if (typeof session !== 'object' || session === null || Array.isArray(session)) {
    throw new InvalidSessionValueError(`session must be an object, got ${describeType(session)}`, 'session');
  }
  // The top level may be a class instance (express-session's Session): its own enumerable fields are the data.
  const copy = copyFields(session as Record<string, unknown>, 'session', new Set([session]));
  return copy as SessionData;
}

function toPlainValue(value: unknown, path: string, ancestors: Set<object>): SessionValue {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'undefined':
      return value;
    case 'function':
      throw new InvalidSessionValueError(`${path} is a function, which cannot be stored in a session`, path);
    case 'symbol':
      throw new InvalidSessionValueError(`${path} is a symbol, which cannot be stored in a session`, path);
    case 'bigint':
      throw new InvalidSessionValueError(`${path} is a bigint, which cannot be stored in a session; store it as a string`, path);
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) {
    if (Number.isNaN(object.getTime())) throw new InvalidSessionValueError(`${path} is an invalid Date`, path);
    return new Date(object.getTime());
  }
  if (object instanceof Uint8Array) return Buffer.from(object);
  if (ancestors.has(object)) {
    throw new InvalidSessionValueError(`${path} refers back to one of its parents (a cycle), which cannot be stored in a session`, path);
  }
  ancestors.add(object);
  try {
    if (Array.isArray(object)) return object.map((item, i) => toPlainValue(item, `${path}[${i}]`, ancestors));
    const proto = Object.getPrototypeOf(object);
    if (proto === Object.prototype || proto === null) return copyFields(object as Record<string, unknown>, path, ancestors);
    const toJSON = (object as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return toPlainValue(toJSON.call(object), path, ancestors);
    const kind = (proto as { constructor?: { name?: string } })?.constructor?.name ?? 'object';
    throw new InvalidSessionValueError(`${path} is a ${kind} instance; a session holds only plain objects, arrays, strings, numbers, booleans, null, Dates and Buffers`, path);
  } finally {
    ancestors.delete(object);
  }
}

function copyFields(source: Record<string, unknown>, path: string, ancestors: Set<object>): Record<string, SessionValue> {
  if (Object.getOwnPropertySymbols(source).some((s) => Object.prototype.propertyIsEnumerable.call(source, s))) {
    throw new InvalidSessionValueError(`${path} has a symbol key, which cannot be stored in a session`, path);
  }
  const out: Record<string, SessionValue> = {};
  for (const key of Object.keys(source)) {
    const value = toPlainValue(source[key], `${path}.${key}`, ancestors);
    // Like JSON: an undefined field is the same as no field.
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
