import assert from 'node:assert/strict';
import { FrameDecoder, FrameKind, HEADER_SIZE, ProtocolError, encodeFrame } from '../../../protocol/index.js';
import type { Frame } from '../../../protocol/index.js';
import { assertProtocolError, collect, pattern, plain, rawHeader } from './helpers.js';
import type { FrameSpec } from './helpers.js';

function spec(id: number, connectionLength: number, applicationLength: number, kind: FrameKind = FrameKind.REQUEST, flags = 0): FrameSpec {
  return { kind, flags, id, timeout: (id * 7) % 2 ** 32, connection: pattern(connectionLength, id), application: pattern(applicationLength, id + 100) };
}

function encode(s: FrameSpec): Buffer {
  return encodeFrame(s.kind, s.flags, s.id, s.timeout, s.connection, s.application);
}

describe('protocol: FrameDecoder', () => {
  it('decodes one frame per chunk', () => {
    const specs = [spec(1, 10, 20), spec(2, 0, 5, FrameKind.RESPONSE, 1), spec(3, 7, 0)];
    const { decoder, frames, errors } = collect();
    for (const s of specs) decoder.push(encode(s));
    assert.deepEqual(frames.map(plain), specs);
    assert.deepEqual(errors, []);
    assert.equal(decoder.pending, 0);
    assert.equal(decoder.failed, false);
  });

  it('decodes many frames in one chunk, in order', () => {
    const specs = Array.from({ length: 50 }, (_, i) => spec(i, i % 7, (i * 13) % 50, (i % 2) as FrameKind, (i >> 1) % 2));
    const { decoder, frames } = collect();
    decoder.push(Buffer.concat(specs.map(encode)));
    assert.deepEqual(frames.map(plain), specs);
    assert.equal(decoder.pending, 0);
  });

  it('decodes byte by byte', () => {
    const specs = [spec(1, 3, 4), spec(2, 0, 0), spec(3, 30, 1)];
    const bytes = Buffer.concat(specs.map(encode));
    const { decoder, frames } = collect();
    for (let i = 0; i < bytes.length; i++) {
      decoder.push(bytes.subarray(i, i + 1));
      const done = frames.length;
      if (i < bytes.length - 1) assert.ok(decoder.pending > 0 || done > 0);
    }
    assert.deepEqual(frames.map(plain), specs);
    assert.equal(decoder.pending, 0);
  });

  it('decodes two frames split at every possible offset, and a third chunk split at every offset too', () => {
    const specs = [spec(5, 17, 40), spec(2 ** 40, 0, 3), spec(9, 30, 0)];
    const bytes = Buffer.concat(specs.map(encode));
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j += 5) {
        const { decoder, frames, errors } = collect();
        decoder.push(bytes.subarray(0, i));
        decoder.push(bytes.subarray(i, j));
        decoder.push(bytes.subarray(j));
        assert.deepEqual(frames.map(plain), specs, `split at ${i}, ${j}`);
        assert.equal(errors.length, 0);
        assert.equal(decoder.pending, 0);
      }
    }
  });

  it('reports pending bytes while a frame is incomplete', () => {
    const bytes = encode(spec(1, 10, 10));
    const { decoder, frames } = collect();
    decoder.push(bytes.subarray(0, 10));
    assert.equal(decoder.pending, 10);
    decoder.push(bytes.subarray(10, 30));
    assert.equal(decoder.pending, 30);
    decoder.push(bytes.subarray(30, 43));
    assert.equal(decoder.pending, 43);
    decoder.push(bytes.subarray(43));
    assert.equal(decoder.pending, 0);
    assert.equal(frames.length, 1);
  });

  it('delivers frames with empty bodies (as empty Buffers), and ignores empty chunks', () => {
    const { decoder, frames } = collect();
    decoder.push(Buffer.alloc(0));
    decoder.push(encodeFrame(FrameKind.REQUEST, 0, 0, 0, Buffer.alloc(0), Buffer.alloc(0)));
    decoder.push(Buffer.alloc(0));
    assert.equal(frames.length, 1);
    assert.ok(Buffer.isBuffer(frames[0]!.connection) && Buffer.isBuffer(frames[0]!.application));
    assert.equal(frames[0]!.connection.length, 0);
    assert.equal(frames[0]!.application.length, 0);
  });

  it('gives zero-copy subarrays of the chunk when a whole frame is in it', () => {
    const s = spec(1, 1000, 1024 * 1024);
    const chunk = Buffer.concat([encode(spec(0, 1, 1)), encode(s), encode(spec(2, 2, 2))]);
    const { decoder, frames } = collect();
    decoder.push(chunk);
    assert.equal(frames.length, 3);
    const frame = frames[1]!;
    assert.equal(frame.application.buffer, chunk.buffer);
    assert.equal(frame.connection.buffer, chunk.buffer);
    assert.equal(frame.connection.byteOffset, chunk.byteOffset + 26 + 24);
    assert.deepEqual(plain(frame), s);
  });

  it('gives zero-copy subarrays of the chunk holding a body whose header came in an earlier chunk', () => {
    const s = spec(3, 100, 5000);
    const bytes = encode(s);
    const { decoder, frames } = collect();
    decoder.push(bytes.subarray(0, 10));
    const rest = Buffer.from(bytes.subarray(10));
    decoder.push(rest);
    assert.equal(frames[0]!.application.buffer, rest.buffer);
    assert.deepEqual(plain(frames[0]!), s);
  });

  it('copies a 1 MiB frame spanning 64 KiB chunks into one buffer of exactly its body size', () => {
    const s = spec(7, 300_000, 1024 * 1024);
    const bytes = Buffer.concat([encode(s), encode(spec(8, 1, 2))]);
    const { decoder, frames } = collect();
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += 65536) {
      const chunk = Buffer.from(bytes.subarray(i, i + 65536));
      chunks.push(chunk);
      decoder.push(chunk);
    }
    assert.equal(frames.length, 2);
    const frame = frames[0]!;
    assert.deepEqual(plain(frame), s);
    assert.equal(frame.connection.buffer, frame.application.buffer, 'one allocation for both bodies');
    assert.equal(frame.application.buffer.byteLength, 300_000 + 1024 * 1024, 'exactly the body size');
    assert.ok(chunks.every((c) => c.buffer !== frame.application.buffer));
    assert.deepEqual(plain(frames[1]!), spec(8, 1, 2));
  });

  it('delivers the frames before garbage, then reports the garbage once and ignores the rest', () => {
    const specs = [spec(1, 2, 3), spec(2, 0, 9)];
    const { decoder, frames, errors } = collect();
    decoder.push(Buffer.concat([...specs.map(encode), Buffer.from([0xde, 0xad, 0xbe, 0xef]), Buffer.alloc(40, 0x55)]));
    assert.deepEqual(frames.map(plain), specs);
    assert.equal(errors.length, 1);
    assertProtocolError(errors[0], 'ERR_ONELINK_PROTOCOL_VERSION', /version 222/);
    assert.equal(decoder.failed, true);
    assert.equal(decoder.pending, 0);
    decoder.push(encode(spec(3, 1, 1)));
    decoder.push(Buffer.alloc(1000, 1));
    assert.equal(frames.length, 2);
    assert.equal(errors.length, 1);
  });

  it('reports an HTTP request as a version error, naming what it read', () => {
    const { decoder, frames, errors } = collect();
    decoder.push(Buffer.from('GET / HTTP/1.1\r\nHost: 127.0.0.1:7777\r\nConnection: close\r\n\r\n'));
    assert.equal(frames.length, 0);
    assert.equal(errors.length, 1);
    assertProtocolError(errors[0], 'ERR_ONELINK_PROTOCOL_VERSION', /^unsupported protocol version 71 \(this side speaks 2\): is a process that does not speak onelink on the port\?/);
    assert.match(errors[0]!.message, /"GET \/ HTTP\/1\.1"/);
  });

  it('validates the header as soon as its 24 bytes are there (a 4 GiB body fails before any of it arrives)', () => {
    const { decoder, errors } = collect();
    const header = rawHeader({ connectionLength: 0xffffffff, applicationLength: 0xffffffff });
    decoder.push(header.subarray(0, 23));
    assert.equal(errors.length, 0);
    assert.equal(decoder.pending, 23);
    decoder.push(header.subarray(23));
    assert.equal(errors.length, 1);
    assertProtocolError(errors[0], 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', /^frame announces 4294967295 \+ 4294967295 body bytes, over the 67108864-byte limit$/);
    assert.ok(decoder.pending <= HEADER_SIZE);
  });

  it('reports every kind of invalid header with its code', () => {
    const cases: Array<[Buffer, string]> = [
      [rawHeader({ version: 0 }), 'ERR_ONELINK_PROTOCOL_VERSION'],
      [rawHeader({ version: 1 }), 'ERR_ONELINK_PROTOCOL_VERSION'],
      [rawHeader({ kind: 2 }), 'ERR_ONELINK_PROTOCOL_FRAME_KIND'],
      [rawHeader({ flags: 2 }), 'ERR_ONELINK_PROTOCOL_FLAGS'],
      [rawHeader({ idHigh: 0x200000 }), 'ERR_ONELINK_PROTOCOL_ID'],
      [rawHeader({ applicationLength: 64 * 1024 * 1024 + 1 }), 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE'],
    ];
    for (const [header, code] of cases) {
      for (const split of [0, 1, 12, 23]) {
        const { decoder, frames, errors } = collect();
        const good = encode(spec(1, 1, 1));
        decoder.push(Buffer.concat([good, header.subarray(0, split)]));
        decoder.push(header.subarray(split));
        assert.equal(frames.length, 1);
        assert.equal(errors.length, 1, code);
        assertProtocolError(errors[0], code);
        assert.equal(decoder.failed, true);
      }
    }
  });

  it('respects the maxFrameSize option (connection + application bytes)', () => {
    const { decoder, frames, errors } = collect({ maxFrameSize: 100 });
    decoder.push(encode(spec(1, 40, 60)));
    assert.equal(frames.length, 1);
    decoder.push(encode(spec(2, 41, 60)).subarray(0, 24));
    assert.equal(errors.length, 1);
    assertProtocolError(errors[0], 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', /41 \+ 60 body bytes, over the 100-byte limit/);

    const zero = collect({ maxFrameSize: 0 });
    zero.decoder.push(encode(spec(1, 0, 0)));
    zero.decoder.push(encode(spec(2, 0, 1)));
    assert.equal(zero.frames.length, 1);
    assert.equal(zero.errors.length, 1);

    assert.throws(() => new FrameDecoder({ onFrame() {}, onError() {} }, { maxFrameSize: -1 }), RangeError);
    assert.throws(() => new FrameDecoder({ onFrame() {}, onError() {} }, { maxFrameSize: 1.5 }), RangeError);
  });

  it('maxFrameSize can be raised from inside onFrame: later headers of the same chunk get the new limit', () => {
    const frames: Frame[] = [];
    const errors: ProtocolError[] = [];
    const decoder: FrameDecoder = new FrameDecoder({
      onFrame(frame) {
        frames.push(frame);
        if (frame.id === 1) decoder.maxFrameSize = 1000; // the first frame authenticates the peer
      },
      onError: (error) => errors.push(error),
    }, { maxFrameSize: 100 });
    assert.equal(decoder.maxFrameSize, 100);
    decoder.push(Buffer.concat([encode(spec(1, 10, 10)), encode(spec(2, 400, 400))]));
    assert.deepEqual(frames.map((frame) => frame.id), [1, 2]);
    assert.deepEqual(errors, []);
    assert.equal(decoder.maxFrameSize, 1000);
    decoder.push(encode(spec(3, 600, 401)));
    assertProtocolError(errors[0], 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', /over the 1000-byte limit/);

    const small = collect({ maxFrameSize: 100 });
    small.decoder.push(encode(spec(1, 100, 1)));
    assert.equal(small.errors.length, 1, 'without the raise, the same frame is refused');
    assert.throws(() => (small.decoder.maxFrameSize = -1), RangeError);
  });

  it('lets an exception from onFrame propagate, and keeps the rest of the chunk for the next push', () => {
    const specs = [spec(1, 1, 1), spec(2, 2, 2), spec(3, 3, 3), spec(4, 4, 4)];
    const bytes = Buffer.concat(specs.map(encode));
    const frames: Frame[] = [];
    const boom = new Error('handler bug');
    let throwOn = 1;
    const decoder = new FrameDecoder({
      onFrame(frame) {
        if (frame.id === throwOn) throw boom;
        frames.push(frame);
      },
      onError(error) {
        assert.fail(error);
      },
    });
    const firstPart = bytes.subarray(0, 24 * 3 + 12 + 5); // frames 1 to 3 and the start of 4
    assert.throws(() => decoder.push(firstPart), (e) => e === boom);
    assert.equal(frames.length, 0);
    assert.equal(decoder.failed, false);
    assert.equal(decoder.pending, firstPart.length - 26, 'the bytes after frame 1 are kept');

    throwOn = 2;
    assert.throws(() => decoder.push(bytes.subarray(firstPart.length)), (e) => e === boom);
    assert.equal(frames.length, 0);

    throwOn = -1;
    decoder.push(Buffer.alloc(0));
    assert.deepEqual(frames.map(plain), specs.slice(2));
    assert.equal(decoder.pending, 0);
  });

  it('lets an exception from onError propagate, and stays failed', () => {
    const decoder = new FrameDecoder({
      onFrame() {},
      onError() {
        throw new Error('onError bug');
      },
    });
    assert.throws(() => decoder.push(Buffer.alloc(30)), /onError bug/);
    assert.equal(decoder.failed, true);
    decoder.push(Buffer.alloc(30));
  });

  it('queues a push() made from inside onFrame after the chunk in progress', () => {
    const specs = [spec(1, 1, 1), spec(2, 2, 2), spec(3, 3, 3)];
    const ids: number[] = [];
    const decoder: FrameDecoder = new FrameDecoder({
      onFrame(frame) {
        ids.push(frame.id);
        if (frame.id === 1) decoder.push(encode(spec(10, 1, 1)));
      },
      onError(error) {
        assert.fail(error);
      },
    });
    decoder.push(Buffer.concat(specs.map(encode)));
    assert.deepEqual(ids, [1, 2, 3, 10]);
  });

  it('never throws ProtocolError out of push()', () => {
    const { decoder, errors } = collect();
    assert.doesNotThrow(() => decoder.push(Buffer.from('\x01\x07garbage-garbage-garbage-garbage')));
    assert.ok(errors[0] instanceof ProtocolError);
  });
});
