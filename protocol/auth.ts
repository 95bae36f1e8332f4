// Mutual authentication of the two ends of a onelink socket: a challenge-response over both sides'
// nonces, keyed by a secret only processes of the same OS user and endpoint can read (or derive).
// Pure: no sockets, no file system.
//
//   connecting side (follower or observer)          leader
//   hello {magic, version, pid, role, nonce: nF}  ->
//                                                 <- hello {magic, version, pid, role: 'leader', nonce: nL,
//                                                           proof: HMAC(key, "onelink-leader"   | transcript)}
//   (checks the leader's proof, else closes)
//   auth {magic, proof: HMAC(key, "onelink-connecting" | transcript)}  ->  (first requests may follow)
//                                                    (checks the proof before it reads anything else)
//
// transcript = endpointId, protocol version, the connecting side's role, pid and nonce, the leader's
// pid and nonce: everything both hellos said, so no field can be changed in flight unnoticed.
// The two proofs carry different labels, so one cannot be reflected as the other; each covers a
// fresh nonce of the verifier, so a recorded proof is worthless on the next connection. The
// connecting side proves nothing before the leader has, so a port squatter learns no proof at all.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AuthError } from './auth-errors.js';
import { decodeValue, encodeValue } from './codec.js';
import { describeValue } from './describe.js';
import { FrameKind, HANDSHAKE_MAGIC, PROTOCOL_VERSION } from './constants.js';
import { ProtocolError } from './errors.js';
import { encodeFrame, versionMismatch } from './frame.js';
import type { Frame } from './frame.js';

export { AuthError } from './auth-errors.js';

export const NONCE_SIZE = 32;
export const KEY_SIZE = 32;
export const PROOF_SIZE = 32;
/** Largest body (connection + application) of a frame read before the peer is authenticated. */
export const MAX_HANDSHAKE_FRAME_SIZE = 4096;
/** Largest endpoint id, in UTF-8 bytes. */
export const MAX_ENDPOINT_ID_SIZE = 1024;

/** Who opens the socket: a follower forwards calls; an observer only reads stats. */
export type ConnectingRole = 'follower' | 'observer';
const CONNECTING_ROLES: readonly ConnectingRole[] = ['follower', 'observer'];

export interface ConnectingHello {
  magic: typeof HANDSHAKE_MAGIC;
  version: number;
  pid: number;
  role: ConnectingRole;
  nonce: Buffer;
}

export interface LeaderHello {
  magic: typeof HANDSHAKE_MAGIC;
  version: number;
  pid: number;
  role: 'leader';
  nonce: Buffer;
  proof: Buffer;
}

/** Everything both hellos said: what each proof covers. */
export interface Transcript {
  endpointId: string;
  role: ConnectingRole;
  connectingPid: number;
  connectingNonce: Buffer;
  leaderPid: number;
  leaderNonce: Buffer;
}

const LEADER_LABEL = 'onelink-leader';
const CONNECTING_LABEL = 'onelink-connecting';
const EMPTY = Buffer.alloc(0);

export function createNonce(): Buffer {
  return randomBytes(NONCE_SIZE);
}

/** The leader's proof: HMAC-SHA256(key, "onelink-leader" | transcript). */
export function leaderProof(key: Buffer, transcript: Transcript): Buffer {
  return prove(key, LEADER_LABEL, transcript);
}

/** The connecting side's proof: HMAC-SHA256(key, "onelink-connecting" | transcript). */
export function connectingProof(key: Buffer, transcript: Transcript): Buffer {
  return prove(key, CONNECTING_LABEL, transcript);
}

/** Throws AuthError unless proof is the leader's proof of this transcript (constant-time compare). */
export function verifyLeaderProof(key: Buffer, transcript: Transcript, proof: Buffer): void {
  verify(leaderProof(key, transcript), proof, 'the leader did not prove it holds this endpoint\'s key: another user\'s or application\'s process holds the endpoint (or the secret differs)');
}

/** Throws AuthError unless proof is the connecting side's proof of this transcript (constant-time compare). */
export function verifyConnectingProof(key: Buffer, transcript: Transcript, proof: Buffer): void {
  verify(connectingProof(key, transcript), proof, `the ${transcript.role} did not prove it holds this endpoint's key: another user's or application's process (or the secret differs)`);
}

function prove(key: Buffer, label: string, t: Transcript): Buffer {
  if (key.length !== KEY_SIZE) throw new RangeError(`an endpoint key is ${KEY_SIZE} bytes, got ${key.length}`);
  return createHmac('sha256', key).update(transcriptBytes(label, t)).digest();
}

function verify(expected: Buffer, proof: Buffer, message: string): void {
  if (proof.length !== expected.length || !timingSafeEqual(expected, proof)) throw new AuthError(message);
}

/**
 * An unambiguous byte string: the label and the endpoint id are length-prefixed, every other field
 * has a fixed size (pids as float64: any safe integer fits exactly).
 */
function transcriptBytes(label: string, t: Transcript): Buffer {
  const endpoint = Buffer.from(t.endpointId, 'utf8');
  if (endpoint.length === 0 || endpoint.length > MAX_ENDPOINT_ID_SIZE) {
    throw new RangeError(`an endpoint id is 1 to ${MAX_ENDPOINT_ID_SIZE} bytes, got ${endpoint.length}`);
  }
  for (const nonce of [t.connectingNonce, t.leaderNonce]) {
    if (nonce.length !== NONCE_SIZE) throw new RangeError(`a nonce is ${NONCE_SIZE} bytes, got ${nonce.length}`);
  }
  const fixed = Buffer.alloc(2 + 1 + 8 + 8);
  fixed.writeUInt16BE(PROTOCOL_VERSION, 0);
  fixed.writeUInt8(CONNECTING_ROLES.indexOf(t.role), 2);
  fixed.writeDoubleBE(t.connectingPid, 3);
  fixed.writeDoubleBE(t.leaderPid, 11);
  return Buffer.concat([lengthPrefixed(Buffer.from(label)), lengthPrefixed(endpoint), fixed, t.connectingNonce, t.leaderNonce]);
}

function lengthPrefixed(bytes: Buffer): Buffer {
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(bytes.length, 0);
  return Buffer.concat([prefix, bytes]);
}

// ---- frames ----

function handshakeFrame(connection: object): Buffer {
  return encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue(connection), EMPTY);
}

export function encodeConnectingHello(h: { pid: number; role: ConnectingRole; nonce: Buffer }): Buffer {
  return handshakeFrame({ magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: h.pid, role: h.role, nonce: h.nonce });
}

export function encodeLeaderHello(h: { pid: number; nonce: Buffer; proof: Buffer }): Buffer {
  return handshakeFrame({ magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, pid: h.pid, role: 'leader', nonce: h.nonce, proof: h.proof });
}

/**
 * The leader's answer to a peer of an older protocol version: a frame of this version, which that
 * peer's decoder reports as a version mismatch, instead of a silent close it would retry forever.
 * It carries nothing but the version.
 */
export function encodeVersionRefusal(): Buffer {
  return handshakeFrame({ magic: HANDSHAKE_MAGIC, version: PROTOCOL_VERSION, role: 'leader' });
}

export function encodeAuth(proof: Buffer): Buffer {
  return handshakeFrame({ magic: HANDSHAKE_MAGIC, proof });
}

function fail(message: string, cause?: unknown, peerVersion?: number): never {
  throw new ProtocolError('ERR_ONELINK_PROTOCOL_HANDSHAKE', message, { ...(cause === undefined ? {} : { cause }), ...(peerVersion === undefined ? {} : { peerVersion }) });
}

/** The connection object of a handshake frame, checked for shape, size and magic. */
function handshakeObject(frame: Frame, what: string): Record<string, unknown> {
  if (frame.kind !== FrameKind.REQUEST || frame.id !== 0) {
    fail(`not ${what}: got a ${frame.kind === FrameKind.RESPONSE ? 'response' : 'request'} with id ${frame.id}, expected a request with id 0`);
  }
  const size = frame.connection.length + frame.application.length;
  if (size > MAX_HANDSHAKE_FRAME_SIZE) fail(`not ${what}: a ${size}-byte body is over the ${MAX_HANDSHAKE_FRAME_SIZE}-byte limit before authentication`);
  if (frame.application.length !== 0) fail(`not ${what}: the application body must be empty, it has ${frame.application.length} bytes`);
  let value: unknown;
  try {
    value = decodeValue(frame.connection);
  } catch (error) {
    fail(`not ${what}: the connection object is not valid MessagePack`, error);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || Buffer.isBuffer(value)) {
    fail(`not ${what}: the connection object is ${describeValue(value)}, expected an object with magic "${HANDSHAKE_MAGIC}"`);
  }
  const object = value as Record<string, unknown>;
  if (object.magic !== HANDSHAKE_MAGIC) fail(`not ${what}: magic is ${describeValue(object.magic)}, expected "${HANDSHAKE_MAGIC}"`);
  return object;
}

function helloFields(h: Record<string, unknown>): { version: number; pid: number; nonce: Buffer } {
  if (h.version !== PROTOCOL_VERSION) {
    if (typeof h.version === 'number') fail(versionMismatch(h.version), undefined, h.version);
    fail(versionMismatch(describeValue(h.version)));
  }
  if (typeof h.pid !== 'number' || !Number.isSafeInteger(h.pid) || h.pid < 0) fail(`bad hello: pid is ${describeValue(h.pid)}, expected an integer >= 0`);
  if (h.nonce === undefined) fail('bad hello: it carries no nonce: the peer runs a onelink version without authentication');
  return { version: h.version, pid: h.pid, nonce: bytesField(h.nonce, 'nonce', NONCE_SIZE) };
}

function bytesField(value: unknown, name: string, size: number): Buffer {
  if (!Buffer.isBuffer(value) || value.length !== size) fail(`bad handshake: ${name} is ${describeValue(value)}, expected ${size} bytes`);
  // A copy: the decoded value is a view of the received chunk, which must not be kept alive.
  return Buffer.from(value);
}

export function parseConnectingHello(frame: Frame): ConnectingHello {
  const h = handshakeObject(frame, 'a hello');
  if (!CONNECTING_ROLES.includes(h.role as ConnectingRole)) fail(`bad hello: role is ${describeValue(h.role)}, expected "follower" or "observer"`);
  return { magic: HANDSHAKE_MAGIC, ...helloFields(h), role: h.role as ConnectingRole };
}

export function parseLeaderHello(frame: Frame): LeaderHello {
  const h = handshakeObject(frame, 'a hello');
  if (h.role !== 'leader') fail(`bad hello: role is ${describeValue(h.role)}, expected "leader"`);
  const fields = helloFields(h);
  return { magic: HANDSHAKE_MAGIC, ...fields, role: 'leader', proof: bytesField(h.proof, 'proof', PROOF_SIZE) };
}

export function parseAuth(frame: Frame): Buffer {
  return bytesField(handshakeObject(frame, 'an auth frame').proof, 'proof', PROOF_SIZE);
}

// ---- the two sides, in order ----

export interface HandshakeIdentity {
  /** The endpoint's 32-byte key. */
  key: Buffer;
  /** Names the endpoint (tcp-127.0.0.1-<port>, unix-...): a proof for one endpoint is not valid for another. */
  endpointId: string;
  pid: number;
}

/**
 * The follower's (or observer's) side: send hello(), then feed the first frame received to
 * acceptLeaderHello(), which checks the leader's proof and returns the auth frame to send.
 */
export class ConnectingHandshake {
  private readonly nonce = createNonce();

  constructor(private readonly identity: HandshakeIdentity, readonly role: ConnectingRole) {}

  hello(): Buffer {
    return encodeConnectingHello({ pid: this.identity.pid, role: this.role, nonce: this.nonce });
  }

  /** Throws ProtocolError (not a leader's hello) or AuthError (the leader did not prove the key). */
  acceptLeaderHello(frame: Frame): { leader: LeaderHello; auth: Buffer } {
    const leader = parseLeaderHello(frame);
    const transcript: Transcript = {
      endpointId: this.identity.endpointId,
      role: this.role,
      connectingPid: this.identity.pid,
      connectingNonce: this.nonce,
      leaderPid: leader.pid,
      leaderNonce: leader.nonce,
    };
    verifyLeaderProof(this.identity.key, transcript, leader.proof);
    return { leader, auth: encodeAuth(connectingProof(this.identity.key, transcript)) };
  }
}

/**
 * The leader's side: feed the first frame to acceptHello() and send the reply; feed the second to
 * acceptAuth(), and only then read anything else from the socket.
 */
export class LeaderHandshake {
  private readonly nonce = createNonce();
  private transcript: Transcript | null = null;

  constructor(private readonly identity: HandshakeIdentity) {}

  /** Throws ProtocolError if the frame is not a follower's or observer's hello. */
  acceptHello(frame: Frame): { peer: ConnectingHello; reply: Buffer } {
    if (this.transcript) throw new Error('acceptHello() was already called on this handshake');
    const peer = parseConnectingHello(frame);
    this.transcript = {
      endpointId: this.identity.endpointId,
      role: peer.role,
      connectingPid: peer.pid,
      connectingNonce: peer.nonce,
      leaderPid: this.identity.pid,
      leaderNonce: this.nonce,
    };
    const proof = leaderProof(this.identity.key, this.transcript);
    return { peer, reply: encodeLeaderHello({ pid: this.identity.pid, nonce: this.nonce, proof }) };
  }

  /** Throws ProtocolError (not an auth frame) or AuthError (the peer did not prove the key). */
  acceptAuth(frame: Frame): void {
    if (!this.transcript) throw new Error('acceptAuth() before acceptHello()');
    verifyConnectingProof(this.identity.key, this.transcript, parseAuth(frame));
  }
}
