import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import {
  AuthError,
  ConnectingHandshake,
  LeaderHandshake,
  MAX_HANDSHAKE_FRAME_SIZE,
  connectingProof,
  encodeAuth,
  encodeConnectingHello,
  encodeLeaderHello,
  leaderProof,
  parseAuth,
  parseConnectingHello,
  parseLeaderHello,
  verifyConnectingProof,
  verifyLeaderProof,
} from '../../../protocol/auth.js';
import type { HandshakeIdentity, Transcript } from '../../../protocol/auth.js';
import { FrameKind, PROTOCOL_VERSION, encodeFrame, encodeValue } from '../../../protocol/index.js';
import type { Frame } from '../../../protocol/index.js';
import { assertProtocolError, collect } from './helpers.js';

function decodeOne(bytes: Buffer): Frame {
  const { decoder, frames, errors } = collect();
  decoder.push(bytes);
  assert.deepEqual(errors, []);
  assert.equal(frames.length, 1);
  return frames[0]!;
}

function objectFrame(connection: unknown, application = Buffer.alloc(0)): Frame {
  return decodeOne(encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue(connection), application));
}

function assertAuthError(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof AuthError, `expected an AuthError, got ${String(e)}`);
    assert.equal((e as { code: string }).code, 'ERR_ONELINK_AUTH');
    return true;
  });
}

function assertHandshakeError(fn: () => unknown, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_HANDSHAKE', message);
    return true;
  });
}

const key = randomBytes(32);
const leaderId: HandshakeIdentity = { key, endpointId: 'tcp-127.0.0.1-7777', pid: 100 };
const followerId: HandshakeIdentity = { key, endpointId: 'tcp-127.0.0.1-7777', pid: 200 };

/** Runs the whole exchange through real encoded and decoded frames. */
function exchange(follower: HandshakeIdentity, leader: HandshakeIdentity, role: 'follower' | 'observer' = 'follower') {
  const f = new ConnectingHandshake(follower, role);
  const l = new LeaderHandshake(leader);
  const { peer, reply } = l.acceptHello(decodeOne(f.hello()));
  const { leader: leaderHello, auth } = f.acceptLeaderHello(decodeOne(reply));
  l.acceptAuth(decodeOne(auth));
  return { peer, leaderHello };
}

function transcript(): Transcript {
  return {
    endpointId: 'tcp-127.0.0.1-7777',
    role: 'follower',
    connectingPid: 1,
    connectingNonce: randomBytes(32),
    leaderPid: 2,
    leaderNonce: randomBytes(32),
  };
}

describe('protocol: authenticated handshake', () => {
  it('completes when both sides hold the same key, for a follower and an observer', () => {
    for (const role of ['follower', 'observer'] as const) {
      const { peer, leaderHello } = exchange(followerId, leaderId, role);
      assert.equal(peer.role, role);
      assert.equal(peer.pid, 200);
      assert.equal(leaderHello.pid, 100);
      assert.equal(leaderHello.role, 'leader');
    }
  });

  it('a follower with another key is refused by the leader, and refuses that leader first', () => {
    const other = { ...followerId, key: randomBytes(32) };
    const f = new ConnectingHandshake(other, 'follower');
    const l = new LeaderHandshake(leaderId);
    const { reply } = l.acceptHello(decodeOne(f.hello()));
    // The follower sees a leader that cannot prove the key: it never sends its own proof.
    assertAuthError(() => f.acceptLeaderHello(decodeOne(reply)));
    // A follower that guesses a proof anyway is refused.
    assertAuthError(() => l.acceptAuth(decodeOne(encodeAuth(randomBytes(32)))));
  });

  it('a port squatter without the key is never followed', () => {
    const f = new ConnectingHandshake(followerId, 'follower');
    const squatter = new LeaderHandshake({ ...leaderId, key: randomBytes(32) });
    const { reply } = squatter.acceptHello(decodeOne(f.hello()));
    assertAuthError(() => f.acceptLeaderHello(decodeOne(reply)));
    // Not even one that replays a real leader's hello from another connection.
    const recorded = new LeaderHandshake(leaderId).acceptHello(decodeOne(new ConnectingHandshake(followerId, 'follower').hello())).reply;
    assertAuthError(() => f.acceptLeaderHello(decodeOne(recorded)));
  });

  it('a proof for one endpoint is not valid for another', () => {
    const f = new ConnectingHandshake({ ...followerId, endpointId: 'tcp-127.0.0.1-7778' }, 'follower');
    const { reply } = new LeaderHandshake(leaderId).acceptHello(decodeOne(f.hello()));
    assertAuthError(() => f.acceptLeaderHello(decodeOne(reply)));
  });

  it('a reflected proof fails: the leader\'s proof is not accepted as a follower\'s', () => {
    // An attacker connects to the leader and sends back the leader's own proof as its auth.
    const attacker = new ConnectingHandshake({ ...followerId, key: randomBytes(32) }, 'follower');
    const l = new LeaderHandshake(leaderId);
    const { reply } = l.acceptHello(decodeOne(attacker.hello()));
    const leaderHello = parseLeaderHello(decodeOne(reply));
    assertAuthError(() => l.acceptAuth(decodeOne(encodeAuth(leaderHello.proof))));
    // And at the level of proofs: the two labels separate the same transcript.
    const t = transcript();
    assertAuthError(() => verifyConnectingProof(key, t, leaderProof(key, t)));
    assertAuthError(() => verifyLeaderProof(key, t, connectingProof(key, t)));
  });

  it('a replayed follower proof fails against a new leader nonce', () => {
    // Record a whole successful exchange, then replay the follower's frames on a new connection.
    const f = new ConnectingHandshake(followerId, 'follower');
    const hello = f.hello();
    const { reply } = new LeaderHandshake(leaderId).acceptHello(decodeOne(hello));
    const { auth } = f.acceptLeaderHello(decodeOne(reply));
    const l2 = new LeaderHandshake(leaderId);
    l2.acceptHello(decodeOne(hello));
    assertAuthError(() => l2.acceptAuth(decodeOne(auth)));
  });

  it('every field of the transcript is covered by the proofs', () => {
    const t = transcript();
    const proof = connectingProof(key, t);
    verifyConnectingProof(key, t, proof);
    const tampered: Transcript[] = [
      { ...t, endpointId: 'tcp-127.0.0.1-7778' },
      { ...t, role: 'observer' },
      { ...t, connectingPid: 3 },
      { ...t, leaderPid: 3 },
      { ...t, connectingNonce: randomBytes(32) },
      { ...t, leaderNonce: randomBytes(32) },
      // Swapping the nonces must not produce the same bytes.
      { ...t, connectingNonce: t.leaderNonce, leaderNonce: t.connectingNonce },
    ];
    for (const other of tampered) {
      assertAuthError(() => verifyConnectingProof(key, other, proof));
      assertAuthError(() => verifyLeaderProof(key, other, leaderProof(key, t)));
    }
    assertAuthError(() => verifyConnectingProof(randomBytes(32), t, proof));
    assertAuthError(() => verifyConnectingProof(key, t, proof.subarray(0, 31)));
    assertAuthError(() => verifyConnectingProof(key, t, Buffer.alloc(0)));
  });

  it('an observer\'s proof is not a follower\'s: the role is bound', () => {
    const f = new ConnectingHandshake(followerId, 'observer');
    const hello = parseConnectingHello(decodeOne(f.hello()));
    const l = new LeaderHandshake(leaderId);
    // A man in the middle rewrites the role of the hello to follower.
    const { reply } = l.acceptHello(decodeOne(encodeConnectingHello({ ...hello, role: 'follower' })));
    assertAuthError(() => f.acceptLeaderHello(decodeOne(reply)));
  });

  it('a tampered leader hello fails: pid or nonce changed in flight', () => {
    for (const change of [{ pid: 999 }, { nonce: randomBytes(32) }]) {
      const f = new ConnectingHandshake(followerId, 'follower');
      const { reply } = new LeaderHandshake(leaderId).acceptHello(decodeOne(f.hello()));
      const hello = parseLeaderHello(decodeOne(reply));
      assertAuthError(() => f.acceptLeaderHello(decodeOne(encodeLeaderHello({ ...hello, ...change }))));
    }
  });

  it('proofs of random transcripts verify, and differ per key (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.string({ minLength: 1, maxLength: 100 }),
        fc.constantFrom('follower' as const, 'observer' as const),
        fc.nat(), fc.nat(),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (k1, k2, endpointId, role, connectingPid, leaderPid, n1, n2) => {
          const t: Transcript = { endpointId, role, connectingPid, leaderPid, connectingNonce: Buffer.from(n1), leaderNonce: Buffer.from(n2) };
          const a = Buffer.from(k1);
          verifyLeaderProof(a, t, leaderProof(a, t));
          verifyConnectingProof(a, t, connectingProof(a, t));
          if (!Buffer.from(k2).equals(a)) assertAuthError(() => verifyConnectingProof(Buffer.from(k2), t, connectingProof(a, t)));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a key or nonce of the wrong size as a caller bug', () => {
    assert.throws(() => leaderProof(Buffer.alloc(16), transcript()), RangeError);
    assert.throws(() => leaderProof(key, { ...transcript(), leaderNonce: Buffer.alloc(8) }), RangeError);
    assert.throws(() => leaderProof(key, { ...transcript(), endpointId: '' }), RangeError);
  });

  it('rejects malformed handshake frames with a typed error', () => {
    const nonce = randomBytes(32);
    const hello = { magic: 'onelink', version: PROTOCOL_VERSION, pid: 1, role: 'follower', nonce };
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, role: 'leader' })), /role is "leader", expected "follower" or "observer"/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, nonce: undefined })), /no nonce: the peer runs a onelink version without authentication/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, nonce: nonce.subarray(0, 16) })), /nonce is a 16-byte binary, expected 32 bytes/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, nonce: 'x'.repeat(32) })), /nonce is "x+/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, version: 1 })), /protocol version mismatch/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, pid: -1 })), /pid is number -1/);
    assertHandshakeError(() => parseConnectingHello(objectFrame({ ...hello, magic: 'http' })), /magic is "http"/);
    assertHandshakeError(() => parseConnectingHello(objectFrame([1, 2])), /connection object is an array/);
    assertHandshakeError(() => parseConnectingHello(objectFrame(hello, Buffer.from('x'))), /application body must be empty/);
    assertHandshakeError(() => parseConnectingHello(decodeOne(encodeFrame(FrameKind.RESPONSE, 0, 0, 0, encodeValue(hello), Buffer.alloc(0)))), /got a response with id 0/);
    assertHandshakeError(() => parseConnectingHello(decodeOne(encodeFrame(FrameKind.REQUEST, 0, 0, 0, Buffer.from([0xc1]), Buffer.alloc(0)))), /not valid MessagePack/);
    assertHandshakeError(() => parseLeaderHello(objectFrame(hello)), /role is "follower", expected "leader"/);
    assertHandshakeError(() => parseLeaderHello(objectFrame({ ...hello, role: 'leader' })), /proof is missing, expected 32 bytes/);
    assertHandshakeError(() => parseAuth(objectFrame({ magic: 'onelink' })), /bad handshake: proof is missing, expected 32 bytes/);
    assertHandshakeError(() => parseAuth(objectFrame({ magic: 'onelink', proof: randomBytes(64) })), /proof is a 64-byte binary/);
  });

  it('rejects a handshake frame over the size bound before decoding it', () => {
    const big = { magic: 'onelink', version: PROTOCOL_VERSION, pid: 1, role: 'follower', nonce: randomBytes(32), pad: 'x'.repeat(MAX_HANDSHAKE_FRAME_SIZE) };
    assertHandshakeError(() => parseConnectingHello(objectFrame(big)), new RegExp(`over the ${MAX_HANDSHAKE_FRAME_SIZE}-byte limit before authentication`));
    // A valid-looking hello followed by extra fields within the bound is accepted (forward-compatible).
    assert.equal(parseConnectingHello(objectFrame({ ...big, pad: 'x' })).role, 'follower');
  });

  it('garbage frames never throw anything but a handshake ProtocolError (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        let frame: Frame;
        try {
          frame = objectFrame(value);
        } catch {
          return; // not encodable: nothing to send
        }
        for (const parse of [parseConnectingHello, parseLeaderHello, parseAuth]) {
          try {
            parse(frame);
          } catch (error) {
            assertProtocolError(error, 'ERR_ONELINK_PROTOCOL_HANDSHAKE');
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a leader handshake is used once and in order', () => {
    const l = new LeaderHandshake(leaderId);
    assert.throws(() => l.acceptAuth(decodeOne(encodeAuth(randomBytes(32)))), /before acceptHello/);
    l.acceptHello(decodeOne(new ConnectingHandshake(followerId, 'follower').hello()));
    assert.throws(() => l.acceptHello(decodeOne(new ConnectingHandshake(followerId, 'follower').hello())), /already called/);
  });
});
