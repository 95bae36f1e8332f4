import assert from 'node:assert/strict';
import { FrameKind, HANDSHAKE_MAGIC, encodeFrame, encodeHello, encodeValue, parseHello } from '../../../protocol/index.js';
import type { Frame } from '../../../protocol/index.js';
import { assertProtocolError, collect } from './helpers.js';

function decodeOne(bytes: Buffer): Frame {
  const { decoder, frames, errors } = collect();
  decoder.push(bytes);
  assert.equal(errors.length, 0);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

function helloFrame(connection: unknown, kind: FrameKind = FrameKind.REQUEST, id = 0): Frame {
  return decodeOne(encodeFrame(kind, 0, id, 0, encodeValue(connection), Buffer.alloc(0)));
}

function rejects(frame: Frame, message: RegExp): void {
  assert.throws(() => parseHello(frame), (e: unknown) => {
    assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_HANDSHAKE', message);
    return true;
  });
}

describe('protocol: handshake', () => {
  it('encodes a hello as a request frame with id 0 and an empty application body, and parses it back', () => {
    for (const role of ['follower', 'leader'] as const) {
      const frame = decodeOne(encodeHello({ pid: 4242, role }));
      assert.equal(frame.kind, FrameKind.REQUEST);
      assert.equal(frame.id, 0);
      assert.equal(frame.timeout, 0);
      assert.equal(frame.flags, 0);
      assert.equal(frame.application.length, 0);
      assert.deepEqual(parseHello(frame), { magic: HANDSHAKE_MAGIC, version: 1, pid: 4242, role });
    }
  });

  it('rejects a frame that is not a hello', () => {
    rejects(helloFrame({ magic: 'onelink', version: 1, pid: 1, role: 'leader' }, FrameKind.RESPONSE), /^not a hello: the first frame is a response with id 0, expected a request with id 0$/);
    rejects(helloFrame({ magic: 'onelink', version: 1, pid: 1, role: 'leader' }, FrameKind.REQUEST, 5), /request with id 5/);
    rejects(decodeOne(encodeFrame(FrameKind.REQUEST, 0, 0, 0, Buffer.from('hello?'), Buffer.alloc(0))), /^not a hello: the first frame's connection object is not valid MessagePack/);
    rejects(decodeOne(encodeFrame(FrameKind.REQUEST, 0, 0, 0, Buffer.alloc(0), Buffer.alloc(0))), /^not a hello: the first frame's connection object is missing/);
    rejects(helloFrame(['onelink', 1]), /connection object is an array/);
    rejects(helloFrame('onelink'), /connection object is "onelink"/);
  });

  it('rejects a wrong magic', () => {
    rejects(helloFrame({ magic: 'cluster-client', version: 1, pid: 1, role: 'leader' }), /^not a hello: magic is "cluster-client", expected "onelink"$/);
    rejects(helloFrame({ version: 1, pid: 1, role: 'leader' }), /^not a hello: magic is missing, expected "onelink"$/);
    rejects(helloFrame({ magic: Buffer.from('onelink'), version: 1, pid: 1, role: 'leader' }), /magic is a 7-byte binary/);
    rejects(helloFrame({ magic: 'x'.repeat(100), version: 1, pid: 1, role: 'leader' }), new RegExp(`magic is "${'x'.repeat(40)}\\.\\.\\."`));
    rejects(helloFrame({ magic: { nested: 1 }, version: 1, pid: 1, role: 'leader' }), /magic is an object/);
    rejects(helloFrame({ magic: null, version: 1, pid: 1, role: 'leader' }), /magic is null/);
  });

  it('rejects another protocol version, saying which', () => {
    rejects(helloFrame({ magic: 'onelink', version: 2, pid: 1, role: 'leader' }), /^protocol version mismatch: peer speaks onelink protocol 2, this side 1$/);
    rejects(helloFrame({ magic: 'onelink', version: '1', pid: 1, role: 'leader' }), /peer speaks onelink protocol "1", this side 1/);
    rejects(helloFrame({ magic: 'onelink', pid: 1, role: 'leader' }), /peer speaks onelink protocol missing/);
  });

  it('rejects a bad pid or role', () => {
    rejects(helloFrame({ magic: 'onelink', version: 1, pid: -1, role: 'leader' }), /^bad hello: pid is number -1, expected an integer >= 0$/);
    rejects(helloFrame({ magic: 'onelink', version: 1, pid: '12', role: 'leader' }), /pid is "12"/);
    rejects(helloFrame({ magic: 'onelink', version: 1, pid: 1, role: 'boss' }), /^bad hello: role is "boss", expected "follower" or "leader"$/);
  });
});
