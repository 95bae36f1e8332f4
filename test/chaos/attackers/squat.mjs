// Another OS user races for a onelink port: it tries to listen on it continuously, and if it wins
// (the leader just died), it holds the port for holdMs and plays a leader: it answers each hello
// with a leader hello whose proof it must forge (it has no key), and records everything it is sent.
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';
import { encodeFrame, encodeValue, FrameKind, PROTOCOL_VERSION } from '../../../dist/protocol/index.js';
import { record } from './support.mjs';

const { port, raceMs, holdMs } = JSON.parse(process.argv[2]);
const connections = [];

function forgedHello() {
  const hello = { magic: 'onelink', version: PROTOCOL_VERSION, pid: process.pid, role: 'leader', nonce: randomBytes(32), proof: randomBytes(32) };
  return encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue(hello), Buffer.alloc(0));
}

function tryListen() {
  return new Promise((resolve) => {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      connections.push(record(socket, (frame, seen) => {
        if (seen.frames.length === 1) socket.write(forgedHello());
      }));
    });
    server.once('error', () => resolve(null));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve(server));
  });
}

console.error('racing');
const until = Date.now() + raceMs;
let server = null;
while (!server && Date.now() < until) {
  server = await tryListen();
  if (!server) await new Promise((resolve) => setImmediate(resolve));
}
if (server) {
  const wonAt = Date.now();
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  server.close();
  console.log(JSON.stringify({ won: true, heldMs: Date.now() - wonAt, connections }));
} else {
  console.log(JSON.stringify({ won: false, connections }));
}
process.exit(0);
