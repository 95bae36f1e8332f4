import { C1, Packr, RESET_BUFFER_MODE, REUSE_BUFFER_MODE } from 'msgpackr';
import { copyBytes } from './copy.js';
import { ProtocolError } from './errors.js';

/** How values are turned into bytes and back (the default transcode, or a user's). */
export interface Transcode {
  encode(value: unknown): Buffer;
  decode(buffer: Buffer): unknown;
}

/**
 * The one reusable msgpackr instance for connection objects and the default application transcode.
 *
 * - useRecords: false: plain, self-describing MessagePack (objects are maps); no record structures
 *   are shared, so any peer decodes any message on its own.
 * - writeFunction: throw, so a function is an error instead of silently becoming undefined.
 *
 * What survives a round trip (checked by test/unit/protocol/codec.test.ts):
 * - null, booleans, strings (any unicode, astral characters included; a lone surrogate, which is not
 *   valid unicode, comes back as U+FFFD replacement characters), arrays, plain objects,
 *   numbers (integers, floats, NaN, ±Infinity; -0 comes back as 0), bigints within 64 bits
 *   (decoded as bigint).
 * - undefined: kept, in arrays and as an object property value (msgpackr's fixext
 *   extension), and as a top-level value.
 * - Buffer and every other Uint8Array/ArrayBuffer: decoded as a Buffer. The decoded Buffer is a zero-copy view
 *   of the bytes decoded (of the received frame's chunk): it keeps that chunk in memory while held.
 * - Date: kept to the millisecond (MessagePack timestamp extension); an invalid Date stays invalid.
 * - Class instances: their own enumerable properties, as a plain object (the prototype is lost).
 * - Map: decoded as a plain object (keys become strings). Set: decoded as an array.
 *   Error: decoded as an array [name, message, cause?]. RegExp: decoded as [source, flags].
 *   Other typed arrays (Float64Array...): decoded as a Buffer of their bytes.
 * - A "__proto__" key is renamed "__proto_" on decode (msgpackr guards against prototype pollution).
 *
 * What throws (encodeValue): functions, symbols, bigints outside the int64/uint64 range, cyclic
 * objects and objects nested too deeply for the stack.
 */
const packr = new Packr({
  useRecords: false,
  writeFunction: () => {
    throw new TypeError('a function cannot be encoded');
  },
});

/**
 * Encodes a value. The Buffer returned is the caller's own: later encodes never overwrite it, and
 * it does not hold on to msgpackr's working buffer.
 * Throws a plain Error whose message names what could not be encoded and where, with msgpackr's error as cause.
 */
export function encodeValue(value: unknown): Buffer {
  const packed = pack(value);
  const start = packed.start ?? 0;
  const end = packed.end ?? packed.length;
  const copy = Buffer.allocUnsafe(end - start);
  copyBytes(packed, start, end, copy, 0);
  return copy;
}

/**
 * Encodes a value without allocating its bytes: the Buffer returned is a view of the encoder's
 * working buffer, overwritten by the next encode anywhere in the process. Only for a caller that
 * copies the bytes out before it encodes anything else (into a socket's write buffer): a call
 * then costs one allocation less, which on a busy follower is measurably less garbage.
 */
export function encodeValueTransient(value: unknown): Buffer {
  const packed = pack(value);
  return packed.start === undefined ? packed : packed.subarray(packed.start, packed.end);
}

/**
 * REUSE_BUFFER_MODE: msgpackr returns its whole working buffer with the value at [start, end),
 * sparing a copy. RESET_BUFFER_MODE: it writes every value at the same place of that buffer, which
 * stays small and hot in cache. Hence the bytes are valid only until the next pack. (Some msgpackr
 * paths return a plain view instead: then start/end are not set on it.)
 */
function pack(value: unknown): Buffer & { start?: number; end?: number } {
  try {
    return packr.pack(value, REUSE_BUFFER_MODE | RESET_BUFFER_MODE);
  } catch (error) {
    throw new Error(`cannot encode ${describeUnencodable(value, error)}`, { cause: error });
  }
}

/**
 * Decodes one value from the whole buffer. An empty buffer (an absent body) decodes as undefined.
 * Throws ProtocolError ERR_ONELINK_PROTOCOL_BODY if the bytes are not exactly one MessagePack value.
 */
export function decodeValue(buffer: Buffer): unknown {
  if (buffer.length === 0) return undefined;
  let value: unknown;
  try {
    value = packr.unpack(buffer);
  } catch (error) {
    throw bodyError(buffer, (error as Error)?.message ?? String(error), error);
  }
  // msgpackr decodes the never-used byte 0xc1 as a marker object instead of failing. No Packr
  // emits it, so a body that is just 0xc1 is garbage. (Nested in an array or map it is not
  // detected, to keep decoding free of a second walk: it decodes as msgpackr's C1 object.)
  if (value === C1) throw bodyError(buffer, 'byte 0xc1 is never used in MessagePack');
  return value;
}

function bodyError(buffer: Buffer, reason: string, cause?: unknown): ProtocolError {
  return new ProtocolError(
    'ERR_ONELINK_PROTOCOL_BODY',
    `undecodable ${buffer.length}-byte body (${reason}); starts with ${hexPreview(buffer)}`,
    cause === undefined ? undefined : { cause },
  );
}

export const defaultTranscode: Transcode = { encode: encodeValue, decode: decodeValue };

function hexPreview(buffer: Buffer): string {
  const n = Math.min(buffer.length, 16);
  return buffer.subarray(0, n).toString('hex').replace(/(..)(?!$)/g, '$1 ') + (buffer.length > n ? ' ...' : '');
}

/**
 * Only on the error path: walks the value (iteratively, so a deep value does not overflow our stack
 * too) to say what msgpackr could not encode and where, e.g. `a function at $.args[1].done`.
 */
function describeUnencodable(value: unknown, error: unknown): string {
  const MAX_DEPTH = 2000;
  const ancestors = new Set<object>();
  // Each entry: a value to visit, or an object to leave (remove from ancestors).
  const stack: Array<{ value: unknown; path: string; depth: number } | { leave: object }> = [{ value, path: '$', depth: 0 }];
  while (stack.length > 0) {
    const item = stack.pop()!;
    if ('leave' in item) {
      ancestors.delete(item.leave);
      continue;
    }
    const { value: v, path, depth } = item;
    switch (typeof v) {
      case 'function':
        return `a function${v.name ? ` (${v.name})` : ''} at ${path}`;
      case 'symbol':
        return `a symbol (${v.toString()}) at ${path}`;
      case 'bigint':
        if (v > 0xffffffffffffffffn || v < -0x8000000000000000n) return `a bigint outside the 64-bit range (${v}) at ${path}`;
        continue;
      case 'object':
        break;
      default:
        continue;
    }
    if (v === null || ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp) continue;
    if (ancestors.has(v)) return `a cyclic object: ${path} refers back to an object that contains it`;
    if (depth >= MAX_DEPTH) return `an object nested more than ${MAX_DEPTH} levels deep (at ${path})`;
    ancestors.add(v);
    stack.push({ leave: v });
    const children: Array<[string, unknown]> = [];
    if (Array.isArray(v)) {
      v.forEach((child, i) => children.push([`${path}[${i}]`, child]));
    } else if (v instanceof Map) {
      let i = 0;
      for (const [k, child] of v) {
        children.push([`${path}<key ${i}>`, k], [`${path}<value of ${keyLabel(k)}>`, child]);
        i++;
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const child of v) children.push([`${path}<element ${i++}>`, child]);
    } else {
      for (const key of Object.keys(v)) {
        const childPath = `${path}${propertyPath(key)}`;
        let child: unknown;
        try {
          child = (v as Record<string, unknown>)[key];
        } catch (getterError) {
          return `a property whose getter throws (${getterError instanceof Error ? getterError.message : String(getterError)}) at ${childPath}`;
        }
        children.push([childPath, child]);
      }
    }
    for (let i = children.length - 1; i >= 0; i--) stack.push({ value: children[i]![1], path: children[i]![0], depth: depth + 1 });
  }
  const what = error instanceof Error ? error.message : String(error);
  return `a value of type ${describeType(value)}: ${what}`;
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function keyLabel(key: unknown): string {
  return typeof key === 'string' ? JSON.stringify(key) : typeof key === 'object' ? 'an object key' : String(key);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  return (value as object).constructor?.name ?? 'object';
}
