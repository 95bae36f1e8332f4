import {
  DEFAULT_MAX_FRAME_SIZE,
  EMPTY,
  FrameKind,
  HEADER_SIZE,
  KNOWN_FLAGS,
  MAX_ID_HIGH_WORD,
  MAX_UINT32,
  PROTOCOL_VERSION,
} from './constants.js';
import { copyBytes } from './copy.js';
import { ProtocolError } from './errors.js';

/*
 * Frame layout (big-endian):
 *   0  u8   version (PROTOCOL_VERSION)
 *   1  u8   kind: 0 request, 1 response
 *   2  u16  flags (bit 0: FLAG_RAW_APPLICATION; other bits must be 0)
 *   4  u64  request id (a JS safe integer: high word <= 0x1fffff)
 *  12  u32  timeout in ms
 *  16  u32  connection-object length
 *  20  u32  application-object length
 *  24  connection body, then application body
 */

export interface Frame {
  kind: FrameKind;
  flags: number;
  id: number;
  timeout: number;
  /** The encoded connection object (may be length 0). */
  connection: Buffer;
  /** The encoded (or, with FLAG_RAW_APPLICATION, raw) application object (may be length 0). */
  application: Buffer;
}

/** The fields of a decoded header. */
export interface FrameHeader {
  kind: FrameKind;
  flags: number;
  id: number;
  timeout: number;
  connectionLength: number;
  applicationLength: number;
}

const TWO_POW_32 = 0x100000000;

function isUint32(n: number): boolean {
  return Number.isInteger(n) && n >= 0 && n <= MAX_UINT32;
}

/**
 * Writes a header into target at offset. Throws RangeError on an argument that cannot be put on the
 * wire (a caller bug, not a protocol error): the peer would reject it anyway.
 */
export function writeHeader(
  target: Buffer,
  offset: number,
  kind: FrameKind,
  flags: number,
  id: number,
  timeout: number,
  connectionLength: number,
  applicationLength: number,
): void {
  if (kind !== 0 && kind !== 1) throw new RangeError(`frame kind must be 0 (request) or 1 (response), got ${String(kind)}`);
  if (!Number.isInteger(flags) || (flags & ~KNOWN_FLAGS) !== 0 || flags < 0) {
    throw new RangeError(`frame flags must be 0 or FLAG_RAW_APPLICATION (1), got ${String(flags)}`);
  }
  if (!Number.isSafeInteger(id) || id < 0) throw new RangeError(`request id must be a safe integer >= 0, got ${String(id)}`);
  if (!isUint32(timeout)) throw new RangeError(`timeout must be an integer from 0 to ${MAX_UINT32} ms, got ${String(timeout)}`);
  if (!isUint32(connectionLength)) throw new RangeError(`connection body of ${String(connectionLength)} bytes does not fit a frame (at most ${MAX_UINT32})`);
  if (!isUint32(applicationLength)) throw new RangeError(`application body of ${String(applicationLength)} bytes does not fit a frame (at most ${MAX_UINT32})`);
  if (!Number.isInteger(offset) || offset < 0 || offset + HEADER_SIZE > target.length) {
    throw new RangeError(`a ${HEADER_SIZE}-byte header does not fit at offset ${String(offset)} of a ${target.length}-byte buffer`);
  }
  target[offset] = PROTOCOL_VERSION;
  target[offset + 1] = kind;
  target[offset + 2] = flags >>> 8;
  target[offset + 3] = flags & 0xff;
  writeUint32(target, offset + 4, Math.floor(id / TWO_POW_32));
  writeUint32(target, offset + 8, id >>> 0);
  writeUint32(target, offset + 12, timeout);
  writeUint32(target, offset + 16, connectionLength);
  writeUint32(target, offset + 20, applicationLength);
}

function writeUint32(target: Buffer, offset: number, value: number): void {
  target[offset] = value >>> 24;
  target[offset + 1] = (value >>> 16) & 0xff;
  target[offset + 2] = (value >>> 8) & 0xff;
  target[offset + 3] = value & 0xff;
}

/** Reads a big-endian uint32 without bounds checks (callers guarantee 4 bytes are there). */
export function readUint32(source: Uint8Array, offset: number): number {
  return ((source[offset]! << 24) | (source[offset + 1]! << 16) | (source[offset + 2]! << 8) | source[offset + 3]!) >>> 0;
}

/** One allocation: header + both bodies. */
export function encodeFrame(
  kind: FrameKind,
  flags: number,
  id: number,
  timeout: number,
  connection: Buffer,
  application: Buffer,
): Buffer {
  const connectionLength = connection.length;
  const applicationLength = application.length;
  // Validate before allocating (writeHeader would too, but after a possibly huge allocation).
  if (!isUint32(connectionLength) || !isUint32(applicationLength)) {
    writeHeader(EMPTY, 0, kind, flags, id, timeout, connectionLength, applicationLength);
  }
  const frame = Buffer.allocUnsafe(HEADER_SIZE + connectionLength + applicationLength);
  writeHeader(frame, 0, kind, flags, id, timeout, connectionLength, applicationLength);
  copyBytes(connection, 0, connectionLength, frame, HEADER_SIZE);
  copyBytes(application, 0, applicationLength, frame, HEADER_SIZE + connectionLength);
  return frame;
}

/**
 * The one header reader. Validates the header at source[offset .. offset + 24) (the caller
 * guarantees the 24 bytes) and, if it is valid, stores its fields in `into` and returns null;
 * otherwise returns the ProtocolError that describes what is wrong and leaves `into` as it was.
 * Checks run in wire order, so a stream from another protocol is reported as a version error.
 * Allocates nothing for a valid header: the streaming decoder reuses one `into` for every frame.
 */
export function decodeHeader(source: Uint8Array, offset: number, maxFrameSize: number, into: FrameHeader): ProtocolError | null {
  const version = source[offset]!;
  if (version >= 1 && version < PROTOCOL_VERSION) {
    return new ProtocolError('ERR_ONELINK_PROTOCOL_VERSION', versionMismatch(version), { peerVersion: version });
  }
  if (version !== PROTOCOL_VERSION) {
    return new ProtocolError(
      'ERR_ONELINK_PROTOCOL_VERSION',
      `unsupported protocol version ${version} (this side speaks ${PROTOCOL_VERSION}): is a process that does not speak onelink on the port?${textHint(source, offset)}`,
    );
  }
  const kind = source[offset + 1]!;
  if (kind > 1) {
    return new ProtocolError('ERR_ONELINK_PROTOCOL_FRAME_KIND', `unknown frame kind ${kind} (0 is a request, 1 a response)`);
  }
  const flags = (source[offset + 2]! << 8) | source[offset + 3]!;
  if ((flags & ~KNOWN_FLAGS) !== 0) {
    return new ProtocolError(
      'ERR_ONELINK_PROTOCOL_FLAGS',
      `unknown frame flags 0x${flags.toString(16).padStart(4, '0')} (this side knows only 0x0001, raw application body)`,
    );
  }
  const high = readUint32(source, offset + 4);
  if (high > MAX_ID_HIGH_WORD) {
    return new ProtocolError(
      'ERR_ONELINK_PROTOCOL_ID',
      `request id 0x${high.toString(16).padStart(8, '0')}${readUint32(source, offset + 8).toString(16).padStart(8, '0')} is over 2^53 - 1, the largest id this side can represent`,
    );
  }
  const connectionLength = readUint32(source, offset + 16);
  const applicationLength = readUint32(source, offset + 20);
  if (connectionLength + applicationLength > maxFrameSize) {
    return new ProtocolError(
      'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE',
      `frame announces ${connectionLength} + ${applicationLength} body bytes, over the ${maxFrameSize}-byte limit`,
    );
  }
  into.kind = kind as FrameKind;
  into.flags = flags;
  into.id = high * TWO_POW_32 + readUint32(source, offset + 8);
  into.timeout = readUint32(source, offset + 12);
  into.connectionLength = connectionLength;
  into.applicationLength = applicationLength;
  return null;
}

/** A header with every field 0, to be filled by decodeHeader. */
export function emptyHeader(): FrameHeader {
  return { kind: 0, flags: 0, id: 0, timeout: 0, connectionLength: 0, applicationLength: 0 };
}

/** Reads and validates the header at source[offset]. Throws ProtocolError if it is invalid, RangeError if fewer than 24 bytes are there. */
export function readHeader(source: Uint8Array, offset = 0, maxFrameSize = DEFAULT_MAX_FRAME_SIZE): FrameHeader {
  if (offset < 0 || offset + HEADER_SIZE > source.length) {
    throw new RangeError(`a header needs ${HEADER_SIZE} bytes at offset ${offset}, the buffer has ${source.length}`);
  }
  const header = emptyHeader();
  const error = decodeHeader(source, offset, maxFrameSize, header);
  if (error) throw error;
  return header;
}

/** When the header bytes look like text (another protocol: HTTP, RESP, SMTP...), show them in the message. */
function textHint(source: Uint8Array, offset: number): string {
  let text = '';
  for (let i = offset; i < offset + 16 && i < source.length; i++) {
    const c = source[i]!;
    if (c === 0x0d || c === 0x0a) break;
    if (c < 0x20 || c > 0x7e) return '';
    text += String.fromCharCode(c);
  }
  return text.length >= 3 ? ` (the bytes read as text: ${JSON.stringify(text)})` : '';
}

const VERSION_MISMATCH = 'protocol version mismatch';

/** The message of a peer that speaks another version of onelink: every process of an endpoint must run the same one. */
export function versionMismatch(peerVersion: number | string): string {
  return `${VERSION_MISMATCH}: peer speaks onelink protocol ${peerVersion}, this side ${PROTOCOL_VERSION}: run the same onelink version in every process of the endpoint`;
}

/** Whether a ProtocolError says the peer speaks another version of onelink (not another protocol). */
export function isVersionMismatch(error: unknown): boolean {
  return error instanceof ProtocolError && error.message.startsWith(VERSION_MISMATCH);
}
