import assert from 'node:assert/strict';
import {
  DEFAULT_MAX_FRAME_SIZE,
  FLAG_RAW_APPLICATION,
  FrameKind,
  HEADER_SIZE,
  PROTOCOL_VERSION,
  decodeHeader,
  emptyHeader,
  encodeFrame,
  readHeader,
  writeHeader,
} from '../../../protocol/index.js';
import { assertProtocolError, pattern, rawHeader } from './helpers.js';

describe('protocol: frame header', () => {
  it('has the constants of the wire format', () => {
    assert.equal(PROTOCOL_VERSION, 2);
    assert.equal(HEADER_SIZE, 24);
    assert.deepEqual(FrameKind, { REQUEST: 0, RESPONSE: 1 });
    assert.equal(FLAG_RAW_APPLICATION, 1);
    assert.equal(DEFAULT_MAX_FRAME_SIZE, 64 * 1024 * 1024);
  });

  it('writes the documented big-endian layout', () => {
    const b = Buffer.alloc(24);
    writeHeader(b, 0, FrameKind.RESPONSE, FLAG_RAW_APPLICATION, 2 ** 32 + 5, 0x01020304, 0x0a0b0c0d, 7);
    assert.equal(b.toString('hex'), ['02', '01', '0001', '00000001', '00000005', '01020304', '0a0b0c0d', '00000007'].join(''));
  });

  const ids = [0, 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 52 + 3, 2 ** 53 - 1];
  const timeouts = [0, 1, 30_000, 2 ** 31, 2 ** 32 - 1];
  for (const id of ids) {
    for (const timeout of timeouts) {
      it(`round-trips id ${id}, timeout ${timeout}`, () => {
        const b = Buffer.alloc(30);
        writeHeader(b, 3, FrameKind.REQUEST, 0, id, timeout, 2 ** 32 - 1, 0);
        assert.deepEqual(readHeader(b, 3, Infinity), {
          kind: 0,
          flags: 0,
          id,
          timeout,
          connectionLength: 2 ** 32 - 1,
          applicationLength: 0,
        });
      });
    }
  }

  it('rejects a bad version, naming it and hinting at a foreign protocol', () => {
    assert.throws(() => readHeader(rawHeader({ version: 3 })), (e) => {
      assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_VERSION', /^unsupported protocol version 3 \(this side speaks 2\): is a process that does not speak onelink on the port\?$/);
      return true;
    });
    const http = Buffer.from('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
    assert.throws(() => readHeader(http), (e) => {
      assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_VERSION', /version 71 .*"GET \/ HTTP\/1\.1"/);
      return true;
    });
  });

  it('rejects a bad kind', () => {
    for (const kind of [2, 255]) {
      assert.throws(() => readHeader(rawHeader({ kind })), (e) => {
        assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_FRAME_KIND', new RegExp(`unknown frame kind ${kind}`));
        return true;
      });
    }
  });

  it('rejects unknown flag bits and accepts 0 and FLAG_RAW_APPLICATION', () => {
    for (const flags of [2, 0x8000, 0xffff, 3]) {
      assert.throws(() => readHeader(rawHeader({ flags })), (e) => {
        assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_FLAGS', /unknown frame flags 0x/);
        return true;
      });
    }
    assert.equal(readHeader(rawHeader({ flags: 0 })).flags, 0);
    assert.equal(readHeader(rawHeader({ flags: 1 })).flags, 1);
  });

  it('rejects an id over 2^53 - 1', () => {
    assert.equal(readHeader(rawHeader({ idHigh: 0x1fffff, idLow: 0xffffffff })).id, Number.MAX_SAFE_INTEGER);
    for (const idHigh of [0x200000, 0xffffffff]) {
      assert.throws(() => readHeader(rawHeader({ idHigh })), (e) => {
        assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_ID', /over 2\^53 - 1/);
        return true;
      });
    }
  });

  it('rejects bodies over the limit, counting both bodies', () => {
    assert.throws(() => readHeader(rawHeader({ connectionLength: 0xffffffff })), (e) => {
      assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', /^frame announces 4294967295 \+ 0 body bytes, over the 67108864-byte limit$/);
      return true;
    });
    assert.equal(readHeader(rawHeader({ connectionLength: 60, applicationLength: 40 }), 0, 100).applicationLength, 40);
    assert.throws(() => readHeader(rawHeader({ connectionLength: 60, applicationLength: 41 }), 0, 100), (e) => {
      assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', /60 \+ 41 body bytes, over the 100-byte limit/);
      return true;
    });
  });

  it('readHeader needs 24 bytes', () => {
    assert.throws(() => readHeader(Buffer.alloc(23)), RangeError);
    assert.throws(() => readHeader(Buffer.alloc(30), 7), RangeError);
  });

  it('writeHeader refuses values that cannot go on the wire', () => {
    const b = Buffer.alloc(24);
    const bad: Array<[string, () => void]> = [
      ['kind 2', () => writeHeader(b, 0, 2 as FrameKind, 0, 0, 0, 0, 0)],
      ['flags 2', () => writeHeader(b, 0, 0, 2, 0, 0, 0, 0)],
      ['flags -1', () => writeHeader(b, 0, 0, -1, 0, 0, 0, 0)],
      ['id -1', () => writeHeader(b, 0, 0, 0, -1, 0, 0, 0)],
      ['id 2^53', () => writeHeader(b, 0, 0, 0, 2 ** 53, 0, 0, 0)],
      ['id 1.5', () => writeHeader(b, 0, 0, 0, 1.5, 0, 0, 0)],
      ['id NaN', () => writeHeader(b, 0, 0, 0, NaN, 0, 0, 0)],
      ['timeout 2^32', () => writeHeader(b, 0, 0, 0, 0, 2 ** 32, 0, 0)],
      ['timeout -1', () => writeHeader(b, 0, 0, 0, 0, -1, 0, 0)],
      ['timeout 0.5', () => writeHeader(b, 0, 0, 0, 0, 0.5, 0, 0)],
      ['connection length 2^32', () => writeHeader(b, 0, 0, 0, 0, 0, 2 ** 32, 0)],
      ['application length -1', () => writeHeader(b, 0, 0, 0, 0, 0, 0, -1)],
      ['offset past the end', () => writeHeader(b, 1, 0, 0, 0, 0, 0, 0)],
    ];
    for (const [name, write] of bad) assert.throws(write, RangeError, name);
  });
});

describe('protocol: encodeFrame', () => {
  it('puts header, connection and application in one buffer', () => {
    const connection = pattern(300, 1);
    const application = pattern(5000, 2);
    const frame = encodeFrame(FrameKind.REQUEST, 0, 42, 1000, connection, application);
    assert.equal(frame.length, 24 + 300 + 5000);
    assert.deepEqual(readHeader(frame), { kind: 0, flags: 0, id: 42, timeout: 1000, connectionLength: 300, applicationLength: 5000 });
    assert.deepEqual(frame.subarray(24, 324), connection);
    assert.deepEqual(frame.subarray(324), application);
  });

  it('encodes empty bodies as a bare header', () => {
    const frame = encodeFrame(FrameKind.RESPONSE, FLAG_RAW_APPLICATION, 2 ** 53 - 1, 2 ** 32 - 1, Buffer.alloc(0), Buffer.alloc(0));
    assert.equal(frame.length, 24);
    assert.deepEqual(readHeader(frame), { kind: 1, flags: 1, id: 2 ** 53 - 1, timeout: 2 ** 32 - 1, connectionLength: 0, applicationLength: 0 });
  });

  it('refuses bad arguments before allocating', () => {
    assert.throws(() => encodeFrame(FrameKind.REQUEST, 4, 0, 0, Buffer.alloc(0), Buffer.alloc(0)), RangeError);
    assert.throws(() => encodeFrame(FrameKind.REQUEST, 0, -3, 0, Buffer.alloc(0), Buffer.alloc(0)), RangeError);
    const over4GiB = { length: 2 ** 32 } as Buffer; // only its length is read before the check
    assert.throws(() => encodeFrame(FrameKind.REQUEST, 0, 1, 0, Buffer.alloc(0), over4GiB), /application body of 4294967296 bytes does not fit a frame/);
    assert.throws(() => encodeFrame(FrameKind.REQUEST, 0, 1, 0, over4GiB, Buffer.alloc(0)), /connection body of 4294967296 bytes does not fit a frame/);
  });
});

describe('protocol: decodeHeader, the one header reader', () => {
  it('fills the object it is given and returns null for a valid header', () => {
    const into = emptyHeader();
    const frame = encodeFrame(FrameKind.RESPONSE, FLAG_RAW_APPLICATION, 2 ** 40 + 3, 250, Buffer.alloc(2), Buffer.alloc(5));
    assert.equal(decodeHeader(frame, 0, DEFAULT_MAX_FRAME_SIZE, into), null);
    assert.deepEqual(into, { kind: 1, flags: 1, id: 2 ** 40 + 3, timeout: 250, connectionLength: 2, applicationLength: 5 });
    assert.deepEqual(readHeader(frame), into);
  });

  it('returns the ProtocolError of an invalid header and leaves the object as it was', () => {
    const into = emptyHeader();
    decodeHeader(encodeFrame(FrameKind.REQUEST, 0, 7, 1, Buffer.alloc(1), Buffer.alloc(0)), 0, DEFAULT_MAX_FRAME_SIZE, into);
    const before = { ...into };
    for (const [header, code] of [
      [rawHeader({ version: PROTOCOL_VERSION + 1 }), 'ERR_ONELINK_PROTOCOL_VERSION'],
      [rawHeader({ kind: 2 }), 'ERR_ONELINK_PROTOCOL_FRAME_KIND'],
      [rawHeader({ flags: 2 }), 'ERR_ONELINK_PROTOCOL_FLAGS'],
      [rawHeader({ idHigh: 0x200000 }), 'ERR_ONELINK_PROTOCOL_ID'],
      [rawHeader({ connectionLength: 11 }), 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE'],
    ] as const) {
      assert.equal(decodeHeader(header, 0, 10, into)?.code, code);
      assert.deepEqual(into, before);
    }
  });
});
