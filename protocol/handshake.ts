import { EMPTY, FrameKind, HANDSHAKE_MAGIC, PROTOCOL_VERSION } from './constants.js';
import { decodeValue, encodeValue } from './codec.js';
import { ProtocolError } from './errors.js';
import { encodeFrame } from './frame.js';
import type { Frame } from './frame.js';

/**
 * The first frame on a new socket: the follower sends its hello, the leader replies with its own.
 * It travels as the connection object of a REQUEST frame with id 0 and an empty application body.
 */
export interface Hello {
  magic: 'onelink';
  version: number;
  pid: number;
  role: 'follower' | 'leader';
}

/** A whole frame: kind REQUEST, id 0, timeout 0, connection object = the hello, application empty. */
export function encodeHello(h: Omit<Hello, 'magic' | 'version'>): Buffer {
  const hello: Hello = { magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: h.pid, role: h.role };
  return encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue(hello), EMPTY);
}

function fail(message: string, cause?: unknown): never {
  throw new ProtocolError('ERR_ONELINK_PROTOCOL_HANDSHAKE', message, cause === undefined ? undefined : { cause });
}

/**
 * Reads the hello out of the first frame received. Throws ProtocolError ERR_ONELINK_PROTOCOL_HANDSHAKE
 * naming what is wrong: not a hello, wrong magic, another protocol version, a bad pid or role.
 */
export function parseHello(frame: Frame): Hello {
  if (frame.kind !== FrameKind.REQUEST || frame.id !== 0) {
    fail(`not a hello: the first frame is a ${frame.kind === FrameKind.RESPONSE ? 'response' : 'request'} with id ${frame.id}, expected a request with id 0`);
  }
  let value: unknown;
  try {
    value = decodeValue(frame.connection);
  } catch (error) {
    fail(`not a hello: the first frame's connection object is not valid MessagePack (${(error as Error).message})`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) {
    fail(`not a hello: the first frame's connection object is ${describe(value)}, expected an object with magic "${HANDSHAKE_MAGIC}"`);
  }
  const h = value as Record<string, unknown>;
  if (h.magic !== HANDSHAKE_MAGIC) {
    fail(`not a hello: magic is ${describe(h.magic)}, expected "${HANDSHAKE_MAGIC}"`);
  }
  if (h.version !== PROTOCOL_VERSION) {
    const peer = typeof h.version === 'number' ? String(h.version) : describe(h.version);
    fail(`protocol version mismatch: peer speaks onelink protocol ${peer}, this side ${PROTOCOL_VERSION}`);
  }
  if (typeof h.pid !== 'number' || !Number.isSafeInteger(h.pid) || h.pid < 0) {
    fail(`bad hello: pid is ${describe(h.pid)}, expected an integer >= 0`);
  }
  if (h.role !== 'follower' && h.role !== 'leader') {
    fail(`bad hello: role is ${describe(h.role)}, expected "follower" or "leader"`);
  }
  return { magic: HANDSHAKE_MAGIC, version: h.version, pid: h.pid, role: h.role };
}

function describe(value: unknown): string {
  if (value === undefined) return 'missing';
  if (value === null) return 'null';
  if (Buffer.isBuffer(value)) return `a ${value.length}-byte binary`;
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
