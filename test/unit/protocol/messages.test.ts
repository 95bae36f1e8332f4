import assert from 'node:assert/strict';
import {
  COPY_LIMIT,
  decodeArgs,
  decodeConnection,
  decodePayload,
  decodeValue,
  defaultTranscode,
  EMPTY,
  encodeArgs,
  encodeArgsToSend,
  encodeConnection,
  EncodeError,
  encodePayload,
  encodePayloadToSend,
  encodeValue,
  errorFromWire,
  ERROR_RESPONSE,
  errorToWire,
  FLAG_RAW_APPLICATION,
  FrameKind,
  isPing,
  isPong,
  OK_RESPONSE,
  Op,
  PING,
  Status,
  type Frame,
} from '../../../protocol/index.js';

const frameOf = (payload: { flags: number; body: Buffer }): Frame => ({ kind: 1, flags: payload.flags, id: 1, timeout: 0, connection: Buffer.alloc(0), application: payload.body });

describe('errors on the wire', () => {
  it('keeps name, message, code, stack and own enumerable properties', () => {
    const original = Object.assign(new RangeError('too far'), { code: 'ERR_FAR', details: { limit: 3 }, when: new Date(5) });
    const copy = errorFromWire(decodeValue(encodeValue(errorToWire(original)))) as Error & Record<string, unknown>;
    assert.equal(copy instanceof Error, true);
    assert.equal(copy.name, 'RangeError');
    assert.equal(copy.message, 'too far');
    assert.equal(copy.code, 'ERR_FAR');
    assert.equal(copy.stack, original.stack);
    assert.deepEqual(copy.details, { limit: 3 });
    assert.deepEqual(copy.when, new Date(5));
  });

  it('turns unencodable properties into text and non-errors into errors', () => {
    const wire = errorToWire(Object.assign(new Error('x'), { fn: () => 1, big: 10n ** 30n }));
    assert.equal('fn' in wire, false);
    assert.equal(wire.big, String(10n ** 30n));
    assert.equal(errorToWire('plain text').message, 'plain text');
    assert.match(String(errorToWire(42).message), /non-error thrown: 42/);
  });
});

describe('connection objects', () => {
  it('decodes an [op, ...] array and rejects anything else', () => {
    assert.deepEqual(decodeConnection(encodeValue([3, 'name', 'get'])), [3, 'name', 'get']);
    assert.throws(() => decodeConnection(encodeValue({ op: 3 })), /not an \[op/);
  });
});

describe('payloads', () => {
  it('sends a lone Buffer argument or result raw, without copying it', () => {
    const buffer = Buffer.from([0, 1, 255]);
    const args = encodeArgs([buffer], defaultTranscode);
    assert.equal(args.flags, FLAG_RAW_APPLICATION);
    assert.equal(args.body, buffer);
    assert.deepEqual(decodeArgs(frameOf(args), defaultTranscode), [buffer]);
    const result = encodePayload(buffer, defaultTranscode);
    assert.equal(decodePayload(frameOf(result), defaultTranscode), buffer);
  });

  it('encodes other values with the transcode and keeps undefined as an empty body', () => {
    const args = encodeArgs(['a', { b: new Date(1) }], defaultTranscode);
    assert.equal(args.flags, 0);
    assert.deepEqual(decodeArgs(frameOf(args), defaultTranscode), ['a', { b: new Date(1) }]);
    const empty = encodePayload(undefined, defaultTranscode);
    assert.equal(empty.body.length, 0);
    assert.equal(decodePayload(frameOf(empty), defaultTranscode), undefined);
  });

  it('uses a custom transcode for Buffers too', () => {
    const json = { encode: (v: unknown) => Buffer.from(JSON.stringify(v)), decode: (b: Buffer) => JSON.parse(b.toString()) };
    const payload = encodeArgs([Buffer.from('hi')], json);
    assert.equal(payload.flags, 0);
    assert.deepEqual(decodeArgs(frameOf(payload), json), [{ type: 'Buffer', data: [104, 105] }]);
  });

  it('reports an unencodable value as EncodeError', () => {
    assert.throws(() => encodeArgs([() => 1], defaultTranscode), (err: unknown) => err instanceof EncodeError && err.code === 'ERR_ONELINK_ENCODE');
  });
});

describe('payloads encoded to be sent at once', () => {
  it('decode like the owned ones; a body of COPY_LIMIT or more is the caller\'s own, since the transport writes it uncopied', () => {
    const small = encodeArgsToSend([{ a: 1 }, 'b'], defaultTranscode);
    assert.deepEqual(decodeArgs(frameOf(small), defaultTranscode), [{ a: 1 }, 'b']);
    const large = encodeArgsToSend(['x'.repeat(COPY_LIMIT)], defaultTranscode);
    const kept = Buffer.from(large.body);
    encodeArgsToSend(['y'.repeat(COPY_LIMIT)], defaultTranscode);
    assert.deepEqual(large.body, kept);
    assert.deepEqual(decodeArgs(frameOf(large), defaultTranscode), ['x'.repeat(COPY_LIMIT)]);
    assert.deepEqual(decodePayload(frameOf(encodePayloadToSend({ r: [1, 2] }, defaultTranscode)), defaultTranscode), { r: [1, 2] });
  });

  it('leave a lone Buffer raw, and a custom transcode\'s bytes its own', () => {
    const bytes = Buffer.from([1, 2, 3]);
    assert.deepEqual(encodeArgsToSend([bytes], defaultTranscode), encodeArgs([bytes], defaultTranscode));
    assert.equal(encodePayloadToSend(bytes, defaultTranscode).flags, FLAG_RAW_APPLICATION);
    const json = { encode: (v: unknown) => Buffer.from(JSON.stringify(v)), decode: (b: Buffer) => JSON.parse(b.toString()) };
    assert.deepEqual(encodeArgsToSend([1, 'a'], json).body.toString(), '[1,"a"]');
    assert.deepEqual(encodePayloadToSend({ k: 1 }, json), encodePayload({ k: 1 }, json));
  });
});

describe('protocol: the heartbeat convention', () => {
  const frame = (kind: 0 | 1, connection: Buffer): Frame => ({ kind, flags: 0, id: 9, timeout: 0, connection, application: Buffer.alloc(0) });

  it('a ping is a request whose connection object is [PING]; a pong a response with an empty one', () => {
    assert.deepEqual(decodeConnection(PING), [Op.PING]);
    assert.equal(isPing(frame(FrameKind.REQUEST, Buffer.from(PING))), true);
    assert.equal(isPing(frame(FrameKind.RESPONSE, PING)), false);
    assert.equal(isPing(frame(FrameKind.REQUEST, encodeConnection([Op.INVOKE, 'a', 'b']))), false);
    assert.equal(isPong(frame(FrameKind.RESPONSE, EMPTY)), true);
    assert.equal(isPong(frame(FrameKind.RESPONSE, OK_RESPONSE)), false);
    assert.equal(isPong(frame(FrameKind.REQUEST, EMPTY)), false);
  });

  it('response markers are [OK] and [ERROR], distinct from a pong', () => {
    assert.deepEqual(decodeConnection(OK_RESPONSE), [Status.OK]);
    assert.deepEqual(decodeConnection(ERROR_RESPONSE), [Status.ERROR]);
    assert.equal(EMPTY.length, 0);
  });
});

describe('protocol: self-contained', () => {
  it('imports nothing but its own modules, msgpackr and node:crypto', async () => {
    const { readdir, readFile } = await import('node:fs/promises');
    const dir = new URL('../../../protocol/', import.meta.url);
    for (const file of await readdir(dir)) {
      const source = await readFile(new URL(file, dir), 'utf8');
      for (const [, specifier] of source.matchAll(/^(?:import|export)[^'"]*from\s+['"]([^'"]+)['"]/gm)) {
        assert.ok(/^\.\/[\w-]+\.js$/.test(specifier!) || specifier === 'msgpackr' || specifier === 'node:crypto', `${file} imports ${specifier}`);
      }
    }
  });
});
