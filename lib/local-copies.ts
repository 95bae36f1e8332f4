// What a value becomes on the other side of the wire, for a call that does not cross it (one made
// in the leader process): the same encoding, frame limit and errors as a follower's call.
import { defaultTranscode, encodeArgs, encodePayload, FLAG_RAW_APPLICATION, type Transcode } from '../protocol/index.js';
import { checkFrameSize } from './frame-limit.js';

/**
 * What a call's arguments become on the other side of the wire, for a call that does not cross it
 * (one made in the leader process): the same encoding, limit and errors as a follower's call, so the
 * DataClient never shares an object with its caller. A lone Buffer is copied, not encoded.
 */
export function copyArgs(args: unknown[], transcode: Transcode, limit: FrameLimit): unknown[] {
  if (transcode === defaultTranscode && args.every((arg) => isImmutable(arg, limit.maxFrameSize / args.length))) return args;
  const payload = encodeArgs(args, transcode);
  checkFrameSize(limit.connection, payload.body, limit.maxFrameSize, `the arguments of "${limit.method}"`);
  if (payload.flags & FLAG_RAW_APPLICATION) return [Buffer.from(payload.body)];
  return payload.body.length === 0 ? [] : (transcode.decode(payload.body) as unknown[]);
}

/** The same for a call's result. */
export function copyResult(value: unknown, transcode: Transcode, limit: FrameLimit): unknown {
  if (transcode === defaultTranscode && isImmutable(value, limit.maxFrameSize)) return value;
  const payload = encodePayload(value, transcode);
  checkFrameSize(limit.connection, payload.body, limit.maxFrameSize, `the result of "${limit.method}"`);
  if (payload.flags & FLAG_RAW_APPLICATION) return Buffer.from(payload.body);
  return payload.body.length === 0 ? undefined : transcode.decode(payload.body);
}

/**
 * A value the default encoding would give back unchanged and that cannot be shared mutably (a
 * number, boolean, null, undefined, or a well-formed string surely within `room` bytes): no copy is needed.
 * -0 and bigints take the encoding, which is what decides how they come back.
 */
function isImmutable(value: unknown, room: number): boolean {
  switch (typeof value) {
    case 'boolean':
    case 'undefined':
      return true;
    case 'number':
      return !Object.is(value, -0);
    case 'string':
      // 3 bytes at most per UTF-16 unit, plus a msgpack string header; a lone surrogate comes back as U+FFFD.
      return value.length * 3 + 16 < room && (value as string & { isWellFormed(): boolean }).isWellFormed();
    case 'object':
      return value === null;
    default:
      return false;
  }
}

/** What bounds one call's frames: its connection object and the frame limit. */
export interface FrameLimit {
  method: string;
  connection: Buffer;
  maxFrameSize: number;
}
