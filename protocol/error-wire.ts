// How an error crosses the wire: the application body of an ERROR response is the error as plain
// data, and the receiver rebuilds it as the class registered for its code (see registerErrorClass).
import { encodeValue } from './codec.js';
import { errorClassOf } from './errors.js';

/** Keys never copied from a reply onto an error: they could reach a prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Set explicitly when an error is rebuilt. */
const REBUILT_KEYS = new Set(['message', 'name', 'stack']);

/** An error as plain data: name, message, code, stack and every own enumerable property that can be encoded. */
export function errorToWire(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) {
    return { name: 'Error', message: typeof err === 'string' ? err : `non-error thrown: ${safeString(err)}` };
  }
  const wire: Record<string, unknown> = { name: err.name, message: err.message, stack: err.stack };
  for (const [key, value] of Object.entries(err)) {
    if (key === 'cause' || typeof value === 'function' || typeof value === 'symbol') continue;
    try {
      encodeValue(value);
      wire[key] = value;
    } catch {
      wire[key] = safeString(value);
    }
  }
  return wire;
}

/**
 * Rebuilds an error from its plain data. With the `code` of a registered class, it is an instance of
 * that class (its constructor is not run: the reply's fields are copied onto it); otherwise a plain
 * Error (a DataClient's own error). Either way it carries name, message, code, stack and the other
 * properties sent. Never throws: a malformed body becomes an Error describing it.
 */
export function errorFromWire(wire: unknown): Error {
  const data = isRecord(wire) ? wire : { message: `malformed error reply: ${safeString(wire)}` };
  const Class = typeof data.code === 'string' ? errorClassOf(data.code) : undefined;
  const message = typeof data.message === 'string' ? data.message : safeString(data.message ?? '');
  // A real Error object (stack, util.inspect, isNativeError) with the class's prototype.
  const err: Error = Reflect.construct(Error, [message], Class ?? Error);
  define(err, 'name', typeof data.name === 'string' ? data.name : (Class?.name ?? 'Error'), false);
  if (typeof data.stack === 'string') define(err, 'stack', data.stack, false);
  for (const key of Object.keys(data)) {
    if (REBUILT_KEYS.has(key) || FORBIDDEN_KEYS.has(key)) continue;
    define(err, key, data[key], true);
  }
  return err;
}

function define(err: Error, key: string, value: unknown, enumerable: boolean): void {
  Object.defineProperty(err, key, { value, enumerable, writable: true, configurable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
