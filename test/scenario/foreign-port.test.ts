// Another program holds the port: ready() rejects with a HandshakeError naming the port, within
// connectTimeout, after one attempt (no endless retry against a server that will never answer).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { cluster, HandshakeError } from '../../lib/index.js';
import { rejectionOf } from '../support/rejections.js';
import { freePort } from '../support/servers.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { sleep } from './helpers.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
const CONNECT_TIMEOUT = 800;
/** Room for a loaded machine on top of the timeout itself. */
const MARGIN_MS = 2000;

interface Foreign {
  connections: number;
  close(): Promise<void>;
}

/** A plain TCP server on the port; `onSocket` decides how it treats the connection. */
async function foreignTcp(port: number, onSocket: (socket: net.Socket) => void): Promise<Foreign> {
  const sockets = new Set<net.Socket>();
  const foreign = { connections: 0, close: () => Promise.resolve() };
  const server = net.createServer((socket) => {
    foreign.connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  foreign.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return foreign;
}

async function foreignHttp(port: number): Promise<Foreign> {
  const foreign = { connections: 0, close: () => Promise.resolve() };
  const server = http.createServer((_req, res) => res.end('hello from http'));
  server.on('connection', () => foreign.connections++);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  foreign.close = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return foreign;
}

describe('scenario: a foreign program holds the port', function () {
  this.timeout(20000);
  let foreign: Foreign | null = null;
  let client: { close(): Promise<void> } | null = null;
  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await foreign?.close();
    client = null;
    foreign = null;
  });

  const cases: Array<{ title: string; start(port: number): Promise<Foreign> }> = [
    { title: 'a TCP server that accepts and says nothing', start: (port) => foreignTcp(port, () => undefined) },
    {
      title: 'a TCP server that answers garbage',
      start: (port) => foreignTcp(port, (socket) => socket.once('data', () => socket.write(randomBytes(64)))),
    },
    { title: 'an HTTP server', start: foreignHttp },
  ];

  for (const { title, start } of cases) {
    it(`${title}: ready() rejects with HandshakeError naming the port, once`, async () => {
      const port = await freePort();
      foreign = await start(port);
      const created = cluster(EchoClient, { port, connectTimeout: CONNECT_TIMEOUT, maxWaitTime: 10000, logger: silent }).create();
      client = created;
      const started = Date.now();
      const err = await rejectionOf(created.ready(), 'ready() against a foreign server');
      const elapsed = Date.now() - started;
      assert.ok(err instanceof HandshakeError, `expected a HandshakeError, got ${String(err)}`);
      assert.equal(err.code, 'ERR_ONELINK_HANDSHAKE');
      assert.equal(err.name, 'HandshakeError');
      assert.equal(err.port, port);
      assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
      assert.ok(elapsed < CONNECT_TIMEOUT + MARGIN_MS, `rejected after ${elapsed} ms`);
      // Calls fail with the same error instead of waiting maxWaitTime for a leader that cannot come.
      await assert.rejects(created.echo('x'), { code: 'ERR_ONELINK_HANDSHAKE' });
      await sleep(CONNECT_TIMEOUT + 200);
      assert.equal(foreign.connections, 1, 'the client kept retrying the foreign server');
      console.log(`      ${title}: HandshakeError after ${elapsed} ms (connectTimeout ${CONNECT_TIMEOUT} ms)`);
    });
  }
});
