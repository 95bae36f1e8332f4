// Hostile frames for a fuzz campaign against a leader: random ones, and ones mutated from the valid
// requests a follower sends (OPEN, INVOKE, SUBSCRIBE, UNSUBSCRIBE, PUBLISH, CLOSE). Pure: bytes
// only, from a seeded Prng; the campaign decides where they go.
import { Packr } from 'msgpackr';
import { DEFAULT_MAX_FRAME_SIZE, encodeFrame, encodeValue, FLAG_RAW_APPLICATION, FrameKind, HEADER_SIZE, Op, type ChannelAgreement } from '../../../protocol/index.js';
import type { Prng } from './prng.js';

/** What the fuzzed leader's channel is: its name and the agreement that opens it. */
export interface FuzzTarget {
  channel: string;
  agreement: ChannelAgreement;
}

/**
 * Methods a rogue calls on the channel. Left out on purpose: methods of the test DataClient that
 * keep what they are given (record, publish) or run caller-chosen timers (slow), forward events to
 * the test runner, or (callbackStyle) throw outside any call on a non-string argument: a leader
 * cannot guard a DataClient against its own bugs, and the campaign is about onelink's.
 */
const METHODS = ['echo', 'pid', 'syncValue', 'syncThrow', 'fail', 'increment', 'instanceCount', 'upstreamSubscriptions',
  'emit', 'exportState', 'importState', 'ready', 'subscribe', 'toString', 'constructor', '__proto__', 'hasOwnProperty', 'noSuchMethod', ''];
const OPS = [Op.OPEN, Op.CLOSE, Op.INVOKE, Op.ONEWAY, Op.SUBSCRIBE, Op.UNSUBSCRIBE, Op.PUBLISH] as const;
const STRANGE_OPS = [0, 8, 9, 10, 11, 255, -1, 1.5, 2 ** 32, Number.MAX_SAFE_INTEGER, NaN];
const KEYS = ['key', '__proto__', 'constructor', 'toString', 'delegates', 'isBroadcast', 'className', 'argsDigest', ''];
/** Subscription ids come from a small pool, so that ids are reused, unsubscribed twice, and so on. */
const SUB_IDS = [0, 1, 2, 3, 7, 2 ** 31, -1];

export type FuzzFrameKind = 'mutated' | 'random' | 'terminal';

export interface FuzzFrame {
  bytes: Buffer;
  kind: FuzzFrameKind;
  /** For 'terminal': why the leader must drop the connection after it. */
  reason?: string;
}

/**
 * The MessagePack bytes of an array nested `depth` levels deep, [[[...[1]...]]], with `inner` (encoded)
 * innermost. Written by hand: an encoder refuses (or overflows its stack on) such depths.
 */
export function deepArray(depth: number, inner: Buffer = encodeValue(1)): Buffer {
  return Buffer.concat([Buffer.alloc(depth, 0x91), inner]); // 0x91: an array of one element
}

/** A 64-bit integer as a BigInt: msgpack uint64/int64 on the wire, a BigInt when decoded. */
function bigInt(rng: Prng): bigint {
  const high = BigInt(rng.int(0, 0xffffffff));
  const low = BigInt(rng.int(0, 0xffffffff));
  const unsigned = (high << 32n) | low;
  return rng.chance(0.5) ? unsigned : BigInt.asIntN(64, unsigned);
}

function number(rng: Prng): number {
  return rng.pick([
    () => rng.int(-10, 10),
    () => rng.int(0, 0xffffffff),
    () => -rng.int(0, 2 ** 31),
    () => Number.MAX_SAFE_INTEGER + rng.int(0, 1000),
    () => -Number.MAX_VALUE,
    () => Number.MAX_VALUE,
    () => rng.next() * 1e300,
    () => NaN,
    () => Infinity,
    () => -0,
  ])();
}

function text(rng: Prng): string {
  if (rng.chance(0.3)) return rng.pick(KEYS);
  const length = rng.int(0, 40);
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCodePoint(rng.chance(0.9) ? rng.int(0x20, 0x7e) : rng.int(0x80, 0x10ffff));
  return out;
}

/** Any value msgpack can carry, nested up to a few levels. */
export function randomValue(rng: Prng, depth = 0): unknown {
  const choice = rng.int(0, depth >= 3 ? 11 : 14);
  switch (choice) {
    case 0: return null;
    case 1: return undefined;
    case 2: return rng.chance(0.5);
    case 3: case 4: return number(rng);
    case 5: return bigInt(rng);
    case 6: case 7: return text(rng);
    case 8: return rng.bytes(rng.int(0, 48));
    case 9: return new Date(rng.chance(0.1) ? NaN : rng.int(-1e12, 1e12) * 1000);
    case 10: return { key: rng.chance(0.5) ? text(rng) : randomValue(rng, depth + 1) };
    case 11: return rng.int(0, 3);
    case 12: return Array.from({ length: rng.int(0, 5) }, () => randomValue(rng, depth + 1));
    default: {
      const object: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) object[text(rng)] = randomValue(rng, depth + 1);
      return object;
    }
  }
}

/** Plain msgpack as onelink writes it, but without its encoder's error reports: they cost milliseconds each. */
const packr = new Packr({ useRecords: false });

function encode(rng: Prng, value: unknown): Buffer {
  try {
    return packr.pack(value);
  } catch {
    return rng.bytes(rng.int(1, 16)); // a value msgpack cannot carry (a lone surrogate key...): bytes instead
  }
}

/** Damages an encoded body: cut short, bytes flipped, or extra bytes after it. */
function damage(rng: Prng, body: Buffer): Buffer {
  if (body.length === 0) return rng.bytes(rng.int(1, 8));
  switch (rng.int(0, 2)) {
    case 0: return body.subarray(0, rng.int(0, body.length - 1));
    case 1: {
      const copy = Buffer.from(body);
      for (let i = rng.int(1, 3); i > 0; i--) copy[rng.int(0, copy.length - 1)] = rng.int(0, 255);
      return copy;
    }
    default: return Buffer.concat([body, rng.bytes(rng.int(1, 8))]);
  }
}

/** A body nested thousands of levels deep: bare, as the one call argument, or as a reg's key. */
function deepBody(rng: Prng): Buffer {
  const nested = deepArray(rng.int(500, 5000));
  return rng.pick([nested, Buffer.concat([Buffer.from([0x91]), nested]), Buffer.concat([encodeValue({ key: 0 }).subarray(0, -1), nested])]);
}

function id(rng: Prng): number {
  return rng.pick([0, 1, rng.int(1, 1000), rng.int(0, 0xffffffff), Number.MAX_SAFE_INTEGER - rng.int(0, 1000)]);
}

function agreement(rng: Prng, target: FuzzTarget): unknown {
  if (rng.chance(0.7)) return target.agreement;
  if (rng.chance(0.3)) return randomValue(rng, 1);
  const mutated: Record<string, unknown> = { ...target.agreement };
  const key = rng.pick(Object.keys(mutated));
  if (rng.chance(0.5)) delete mutated[key];
  else mutated[key] = randomValue(rng, 1);
  return mutated;
}

/** One request a follower could send, with some of its fields wrong. */
function mutatedMessage(rng: Prng, target: FuzzTarget): { connection: unknown; application: Buffer } {
  const op = rng.chance(0.9) ? rng.pick(OPS) : rng.pick(STRANGE_OPS);
  const name = rng.chance(0.85) ? target.channel : randomValue(rng, 1);
  let third: unknown;
  let application: unknown;
  switch (op) {
    case Op.OPEN: third = agreement(rng, target); break;
    case Op.INVOKE: case Op.ONEWAY:
      third = rng.chance(0.9) ? rng.pick(METHODS) : randomValue(rng, 1);
      application = rng.chance(0.85) ? Array.from({ length: rng.int(0, 3) }, () => randomValue(rng)) : randomValue(rng);
      break;
    case Op.SUBSCRIBE: case Op.UNSUBSCRIBE:
      third = rng.chance(0.85) ? rng.pick(SUB_IDS) : randomValue(rng, 1);
      application = rng.chance(0.5) ? { key: text(rng) } : randomValue(rng);
      break;
    case Op.PUBLISH: application = randomValue(rng); break;
    default: third = randomValue(rng, 1); application = rng.chance(0.5) ? randomValue(rng) : undefined;
  }
  const fields = [op, name, third];
  // Fields missing, or more of them than the op has.
  const shape = rng.next();
  if (shape < 0.05) fields.length = rng.int(0, 2);
  else if (shape < 0.1) fields.push(randomValue(rng, 1));
  const body = rng.chance(0.01) ? deepBody(rng) : application === undefined ? Buffer.alloc(0) : encode(rng, application);
  return { connection: fields, application: body };
}

/** A frame whose header is valid: the leader must answer it (or ignore it) and keep the connection. */
export function fuzzFrame(rng: Prng, target: FuzzTarget): FuzzFrame {
  const kind = rng.chance(0.97) ? FrameKind.REQUEST : FrameKind.RESPONSE;
  const flags = rng.chance(0.05) ? FLAG_RAW_APPLICATION : 0;
  const timeout = rng.chance(0.8) ? rng.int(0, 10000) : rng.int(0, 0xffffffff);
  if (rng.chance(0.8)) {
    const message = mutatedMessage(rng, target);
    let connection = encode(rng, message.connection);
    let application = message.application;
    if (rng.chance(0.05)) connection = damage(rng, connection);
    if (rng.chance(0.05)) application = damage(rng, application);
    return { bytes: encodeFrame(kind, flags, id(rng), timeout, connection, application), kind: 'mutated' };
  }
  const connection = rng.chance(0.5) ? encode(rng, randomValue(rng)) : rng.chance(0.02) ? deepBody(rng) : rng.bytes(rng.int(0, 64));
  const application = rng.chance(0.5) ? encode(rng, randomValue(rng)) : rng.chance(0.02) ? deepBody(rng) : rng.bytes(rng.int(0, 64));
  return { bytes: encodeFrame(kind, flags, id(rng), timeout, connection, application), kind: 'random' };
}

/** A frame whose header the leader must refuse: it drops the connection. */
export function terminalFrame(rng: Prng): FuzzFrame {
  const frame = encodeFrame(FrameKind.REQUEST, 0, rng.int(1, 1000), 0, encodeValue([Op.INVOKE, 'x', 'y']), encodeValue([1]));
  switch (rng.int(0, 4)) {
    case 0:
      frame[0] = rng.chance(0.5) ? rng.int(3, 255) : 0;
      return { bytes: frame, kind: 'terminal', reason: 'unknown protocol version' };
    case 1:
      frame[1] = rng.int(2, 255);
      return { bytes: frame, kind: 'terminal', reason: 'unknown frame kind' };
    case 2:
      frame.writeUInt16BE(rng.int(2, 0xffff) & ~FLAG_RAW_APPLICATION || 2, 2);
      return { bytes: frame, kind: 'terminal', reason: 'unknown flags' };
    case 3:
      frame.writeUInt32BE(rng.int(0x200000, 0xffffffff), 4); // id over 2^53 - 1
      return { bytes: frame, kind: 'terminal', reason: 'request id over 2^53 - 1' };
    default:
      frame.writeUInt32BE(rng.int(DEFAULT_MAX_FRAME_SIZE + 1, 0xffffffff), 16);
      return { bytes: frame.subarray(0, HEADER_SIZE), kind: 'terminal', reason: 'frame over the size limit' };
  }
}

/**
 * The shapes that crashed a leader before every peer-input path was guarded: open the channel,
 * subscribe with a reg that cannot be keyed (a BigInt, an array thousands of levels deep), then
 * close (the CLOSE op or the socket). `close` says which; with 'socket' the caller destroys it.
 */
export function crashShape(rng: Prng, target: FuzzTarget): { bytes: Buffer; close: 'op' | 'socket' | 'unsubscribe' } {
  const subId = rng.pick(SUB_IDS);
  const reg = rng.pick([
    () => encodeValue(bigInt(rng)),
    () => encodeValue({ key: bigInt(rng) }),
    () => deepArray(3000),
    () => Buffer.concat([encodeValue({ key: 0 }).subarray(0, -1), deepArray(3000)]),
    () => deepArray(rng.int(100, 3000), encodeValue(bigInt(rng))),
  ])();
  const close = rng.pick(['op', 'socket', 'unsubscribe'] as const);
  const frames = [
    encodeFrame(FrameKind.REQUEST, 0, rng.int(1, 1000), 0, encodeValue([Op.OPEN, target.channel, target.agreement]), Buffer.alloc(0)),
    encodeFrame(FrameKind.REQUEST, 0, rng.int(1, 1000), 0, encodeValue([Op.SUBSCRIBE, target.channel, subId]), reg),
  ];
  if (close === 'op') frames.push(encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue([Op.CLOSE, target.channel]), Buffer.alloc(0)));
  if (close === 'unsubscribe') frames.push(encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue([Op.UNSUBSCRIBE, target.channel, subId]), Buffer.alloc(0)));
  return { bytes: Buffer.concat(frames), close };
}

/** A frame cut short: the header announces more than is sent; the caller then ends the socket. */
export function truncatedFrame(rng: Prng, target: FuzzTarget): Buffer {
  const { bytes } = fuzzFrame(rng, target);
  return bytes.subarray(0, rng.int(1, bytes.length - 1));
}
