// Another OS user, knowing only the port, speaks the documented onelink protocol to a live leader
// without the endpoint key: it asks to open the session channel, read, write and destroy sessions,
// probe method names and subscribe, with no proof, with a forged proof, and says nothing at all.
// It prints everything the leader sent back, and how long each connection stayed open.
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import { ConnectingHandshake, FrameKind, encodeFrame, encodeValue } from '../../../dist/protocol/index.js';
import { record } from './support.mjs';

const { port, channel, sid } = JSON.parse(process.argv[2]);
// Op codes of the documented wire protocol (README, Wire protocol).
const OPEN = 1, INVOKE = 3, SUBSCRIBE = 5;

function request(id, connection, application) {
  return encodeFrame(FrameKind.REQUEST, 0, id, 3000, encodeValue(connection), application === undefined ? Buffer.alloc(0) : encodeValue(application));
}

/** Every request a follower with the key could make, in one burst. */
const requests = Buffer.concat([
  request(1, [OPEN, channel, {}]),
  request(2, [INVOKE, channel, 'get'], [sid]),
  request(3, [INVOKE, channel, 'set'], [sid, { cookie: {}, user: 'mallory' }]),
  request(4, [INVOKE, channel, 'destroy'], [sid]),
  request(5, [INVOKE, channel, 'all'], []),
  request(6, [INVOKE, channel, 'constructor'], []),
  request(7, [SUBSCRIBE, channel, 1], { key: 'sessions' }),
]);

/** One connection: `script` gets the socket and the handshake, and writes what it wants. */
function attempt(name, script) {
  return new Promise((resolve) => {
    const started = Date.now();
    const socket = connect(port, '127.0.0.1');
    const handshake = new ConnectingHandshake({ key: randomBytes(32), endpointId: `tcp-127.0.0.1-${port}`, pid: process.pid }, 'follower');
    const seen = record(socket, (frame, s) => script.onFrame?.(socket, handshake, frame, s));
    socket.on('connect', () => script.onConnect(socket, handshake));
    socket.on('error', () => {});
    socket.on('close', () => resolve({ name, closedAfterMs: Date.now() - started, ...seen }));
  });
}

const results = [];
// Says nothing.
results.push(await attempt('silent', { onConnect() {} }));
// A hello, then every request at once, with no proof.
results.push(await attempt('no-proof', { onConnect: (socket, handshake) => socket.write(Buffer.concat([handshake.hello(), requests])) }));
// A hello, then a forged proof (32 random bytes) and every request, after the leader's hello.
results.push(await attempt('forged-proof', {
  onConnect: (socket, handshake) => socket.write(handshake.hello()),
  onFrame: (socket) => socket.write(Buffer.concat([encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue({ magic: 'onelink', proof: randomBytes(32) }), Buffer.alloc(0)), requests])),
}));
// Requests without any hello.
results.push(await attempt('no-hello', { onConnect: (socket) => socket.write(requests) }));
console.log(JSON.stringify({ uid: process.getuid(), results }));
