// The session-level messages carried in a frame's connection object, and how errors cross the wire.
// A connection object is a small msgpack array: [op, ...fields]. Arrays keep it cheap on the hot path.
import { decodeValue, encodeValue } from '../protocol/index.js';

export const Op = {
  /** follower → leader: [OPEN, name, agreement] → response when the DataClient is ready (or failed) */
  OPEN: 1,
  /** follower → leader: [CLOSE, name]; no response */
  CLOSE: 2,
  /** follower → leader: [INVOKE, name, method]; app = args → response */
  INVOKE: 3,
  /** follower → leader: [ONEWAY, name, method]; app = args; no response */
  ONEWAY: 4,
  /** follower → leader: [SUBSCRIBE, name, subId]; app = reg → response once subscribed upstream */
  SUBSCRIBE: 5,
  /** follower → leader: [UNSUBSCRIBE, name, subId]; no response */
  UNSUBSCRIBE: 6,
  /** follower → leader: [PUBLISH, name]; app = reg → response */
  PUBLISH: 7,
  /** leader → follower: [PUSH, name, subId]; app = value; no response */
  PUSH: 8,
  /** either way: [PING] → response [] */
  PING: 9,
  /** leader → follower on graceful close: [HANDOVER, name]; app = the DataClient's exported state */
  HANDOVER: 10,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

export const Status = { OK: 0, ERROR: 1 } as const;

/** What leader and follower of one channel must agree on, checked when the channel opens. */
export interface ChannelAgreement {
  delegates: Record<string, string>;
  isBroadcast: boolean;
}

export const encodeConnection = encodeValue;
export function decodeConnection(buffer: Buffer): unknown[] {
  const value = decodeValue(buffer);
  if (!Array.isArray(value) || typeof value[0] !== 'number') throw new TypeError('connection object is not an [op, ...] array');
  return value;
}

export const OK_RESPONSE = encodeConnection([Status.OK]);
export const ERROR_RESPONSE = encodeConnection([Status.ERROR]);
export const EMPTY = Buffer.alloc(0);

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

export function errorFromWire(wire: unknown): Error {
  const data = (wire && typeof wire === 'object' ? wire : { message: String(wire) }) as Record<string, unknown>;
  const err = new Error(String(data.message ?? ''));
  for (const [key, value] of Object.entries(data)) {
    if (key === 'message') continue;
    Object.defineProperty(err, key, { value, enumerable: key !== 'stack' && key !== 'name', writable: true, configurable: true });
  }
  return err;
}

function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
