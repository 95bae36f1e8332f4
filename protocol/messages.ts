// The session-level messages carried in a frame's connection object: which operation a request
// asks for, how a response says OK or ERROR, and the heartbeat ping.
// A connection object is a small msgpack array: [op, ...fields]. Arrays keep it cheap on the hot path.
import { FrameKind } from './constants.js';
import { decodeValue, encodeValue } from './codec.js';
import type { Frame } from './frame.js';

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
  /** either way: [PING] → a pong, a response with an empty connection object (see isPing / isPong) */
  PING: 9,
  /** leader → follower on graceful close: [HANDOVER, name]; app = the DataClient's exported state */
  HANDOVER: 10,
  /** observer (or follower) → leader: [STATS] → response; app = the leader's LeaderStatus (lib/observe/status.ts) */
  STATS: 11,
  /** leader → follower right before a graceful close: [GOODBYE]; no response. Its loss is then no fault. */
  GOODBYE: 12,
} as const;
export type Op = (typeof Op)[keyof typeof Op];

/** The connection object of a response: [OK] (app = the result) or [ERROR] (app = the error, see errorToWire). */
export const Status = { OK: 0, ERROR: 1 } as const;

/**
 * What leader and follower of one channel must agree on, checked when the channel opens: what makes
 * them the same client. Plain data: it travels in the OPEN message.
 */
export interface ChannelAgreement {
  /** The DataClient class's name. */
  className: string;
  /** Method name -> delegate kind, names sorted. */
  delegates: Record<string, string>;
  isBroadcast: boolean;
  /** sha256 (hex) of the constructor arguments' stable encoding: the arguments themselves, secrets included, stay in the process. */
  argsDigest: string;
  /** Clients of the name may pass other constructor arguments (served by the leader's DataClient). */
  allowDifferentArgs: boolean;
}

export const encodeConnection = encodeValue;
export function decodeConnection(buffer: Buffer): unknown[] {
  const value = decodeValue(buffer);
  if (!Array.isArray(value) || typeof value[0] !== 'number') throw new TypeError('connection object is not an [op, ...] array');
  return value;
}

export const OK_RESPONSE = encodeConnection([Status.OK]);
export const ERROR_RESPONSE = encodeConnection([Status.ERROR]);

/** The connection object of a heartbeat request; either side sends it, with any id and an empty application. */
export const PING = encodeConnection([Op.PING]);

/** A heartbeat request: the receiver answers it with a pong (a RESPONSE of the same id, both bodies empty). */
export function isPing(frame: Frame): boolean {
  return frame.kind === FrameKind.REQUEST && frame.connection.length === PING.length && frame.connection.equals(PING);
}

/** A heartbeat answer: the only response whose connection object is empty. */
export function isPong(frame: Frame): boolean {
  return frame.kind === FrameKind.RESPONSE && frame.connection.length === 0;
}
