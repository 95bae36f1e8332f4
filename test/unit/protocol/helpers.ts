import assert from 'node:assert/strict';
import { FrameDecoder, PROTOCOL_VERSION, ProtocolError } from '../../../protocol/index.js';
import type { Frame, FrameDecoderOptions } from '../../../protocol/index.js';

/** A decoder whose handler records every frame and error. */
export function collect(options?: FrameDecoderOptions) {
  const frames: Frame[] = [];
  const errors: ProtocolError[] = [];
  const decoder = new FrameDecoder(
    {
      onFrame: (frame) => frames.push(frame),
      onError: (error) => errors.push(error),
    },
    options,
  );
  return { decoder, frames, errors };
}

/** A frame as plain data, for comparisons (decoded frames hold views into chunks). */
export type FrameSpec = Frame;

/** The plain fields of a frame, for deepStrictEqual (Buffers compare by content). */
export function plain(frame: Frame | FrameSpec): FrameSpec {
  return {
    kind: frame.kind,
    flags: frame.flags,
    id: frame.id,
    timeout: frame.timeout,
    connection: Buffer.from(frame.connection),
    application: Buffer.from(frame.application),
  };
}

/** A raw 24-byte header with any field values (including invalid ones). */
export function rawHeader(fields: {
  version?: number;
  kind?: number;
  flags?: number;
  idHigh?: number;
  idLow?: number;
  timeout?: number;
  connectionLength?: number;
  applicationLength?: number;
}): Buffer {
  const b = Buffer.alloc(24);
  b.writeUInt8(fields.version ?? PROTOCOL_VERSION, 0);
  b.writeUInt8(fields.kind ?? 0, 1);
  b.writeUInt16BE(fields.flags ?? 0, 2);
  b.writeUInt32BE(fields.idHigh ?? 0, 4);
  b.writeUInt32BE(fields.idLow ?? 0, 8);
  b.writeUInt32BE(fields.timeout ?? 0, 12);
  b.writeUInt32BE(fields.connectionLength ?? 0, 16);
  b.writeUInt32BE(fields.applicationLength ?? 0, 20);
  return b;
}

export function assertProtocolError(error: unknown, code: string, message?: RegExp): void {
  assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
  assert.equal(error.code, code);
  if (message) assert.match(error.message, message);
}

/** Bytes 0..n-1 (mod 256), so misplaced bytes show. */
export function pattern(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}
