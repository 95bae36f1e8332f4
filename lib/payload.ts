// Application objects on the wire: through the transcode, except a lone Buffer, which travels as is.
import { defaultTranscode, encodeValueTransient, FLAG_RAW_APPLICATION, type Frame, type Transcode } from '../protocol/index.js';
import { EncodeError } from './errors.js';
import { EMPTY } from './messages.js';
import { COPY_LIMIT } from './transport/framed.js';

export interface Payload {
  flags: number;
  body: Buffer;
}

/** A value (result, subscription value, reg). A Buffer skips encoding when the transcode is the default one. */
export function encodePayload(value: unknown, transcode: Transcode): Payload {
  if (value === undefined) return { flags: 0, body: EMPTY };
  if (Buffer.isBuffer(value) && transcode === defaultTranscode) return { flags: FLAG_RAW_APPLICATION, body: value };
  return { flags: 0, body: encodeOrExplain(value, transcode) };
}

/**
 * The same, for a payload handed to Transport.send before anything else is encoded: its body may
 * be the encoder's working buffer, since the transport copies a body that small at once.
 */
export function encodePayloadToSend(value: unknown, transcode: Transcode): Payload {
  if (value === undefined || Buffer.isBuffer(value) || transcode !== defaultTranscode) return encodePayload(value, transcode);
  return { flags: 0, body: encodeToSend(value) };
}

export function decodePayload(frame: Frame, transcode: Transcode): unknown {
  if (frame.flags & FLAG_RAW_APPLICATION) return frame.application;
  if (frame.application.length === 0) return undefined;
  return transcode.decode(frame.application);
}

/** Call arguments. `[buffer]` is sent raw: the common "store these bytes" call costs no copy into an encoder. */
export function encodeArgs(args: unknown[], transcode: Transcode): Payload {
  if (args.length === 1 && Buffer.isBuffer(args[0]) && transcode === defaultTranscode) {
    return { flags: FLAG_RAW_APPLICATION, body: args[0] };
  }
  return { flags: 0, body: encodeOrExplain(args, transcode) };
}

/** Call arguments handed to Transport.send before anything else is encoded (see encodePayloadToSend). */
export function encodeArgsToSend(args: unknown[], transcode: Transcode): Payload {
  if (transcode !== defaultTranscode || (args.length === 1 && Buffer.isBuffer(args[0]))) return encodeArgs(args, transcode);
  return { flags: 0, body: encodeToSend(args) };
}

export function decodeArgs(frame: Frame, transcode: Transcode): unknown[] {
  if (frame.flags & FLAG_RAW_APPLICATION) return [frame.application];
  if (frame.application.length === 0) return [];
  const args = transcode.decode(frame.application);
  if (!Array.isArray(args)) throw new TypeError('call arguments are not an array');
  return args;
}

function encodeToSend(value: unknown): Buffer {
  let body: Buffer;
  try {
    body = encodeValueTransient(value);
  } catch (err) {
    throw new EncodeError(`cannot encode value for the wire: ${(err as Error).message}`, { cause: err });
  }
  // A large body is written as it is, uncopied, so it must be the caller's own.
  return body.length < COPY_LIMIT ? body : Buffer.from(body);
}

function encodeOrExplain(value: unknown, transcode: Transcode): Buffer {
  try {
    return transcode.encode(value);
  } catch (err) {
    throw new EncodeError(`cannot encode value for the wire: ${(err as Error).message}`, { cause: err });
  }
}
