// What holds the port is reported at once and precisely, each case with its own error and the
// holder's pid (and uid) where Linux's /proc tells: a socket bound without listening, a program that
// does not speak the protocol, a process of another user. (A socket bound without listening
// is not listed by /proc: its holder goes unnamed.)
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { AuthError, cluster, EndpointBlockedError, HandshakeError, OnelinkError } from '../../lib/index.js';
import { holderOf } from '../../lib/endpoint-holder.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { canSwitchUser, ensureBuilt, OTHER_UID, runAttacker, SKIP_REASON } from '../chaos/support/attacker.js';
import { freePort } from '../support/servers.js';
import { waitFor } from './helpers.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };
/** Far longer than any report below may take: an error within it came from the port, not from maxWaitTime. */
const MAX_WAIT_TIME = 30000;

/** A process that holds `port` with `code`, once it says "ready". */
async function holdPort(command: string, args: string[]): Promise<ChildProcess> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${command} exited with ${code} before holding the port`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve();
    });
  });
  return child;
}

async function failure(promise: Promise<unknown>): Promise<OnelinkError> {
  return promise.then(() => assert.fail('expected a failure'), (err: unknown) => err as OnelinkError);
}

describe('scenario: port trouble is reported at once, naming the holder', function () {
  this.timeout(30000);
  const children: ChildProcess[] = [];
  const clients: Array<{ close(): Promise<void> }> = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close().catch(() => undefined)));
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  it('a socket bound to the port without listening: EndpointBlockedError within about a second, not maxWaitTime, and the port is taken once it goes', async () => {
    const port = await freePort();
    // node:net cannot bind without listening; python's socket module can.
    const blocker = await holdPort('python3', ['-c', `import socket,time\ns=socket.socket()\ns.bind(('127.0.0.1', ${port}))\nprint('ready', flush=True)\ntime.sleep(60)`]);
    children.push(blocker);
    // Linux lists no socket that does not listen in /proc/net: its holder cannot be named.
    assert.equal(await holderOf({ kind: 'tcp', port }), null);

    const client = cluster(EchoClient, { port, maxWaitTime: MAX_WAIT_TIME, logger: silent }).create();
    clients.push(client);
    const started = Date.now();
    const err = await failure(client.ready());
    const elapsed = Date.now() - started;
    assert.ok(err instanceof EndpointBlockedError, String(err));
    assert.equal(err.code, 'ERR_ONELINK_ENDPOINT_BLOCKED');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} is bound by a socket that does not listen \\(listen: EADDRINUSE, connect: ECONNREFUSED for \\d+ ms`));
    assert.match(err.message, /give this application its own port/);
    assert.ok(elapsed < 3000, `reported after ${elapsed} ms`);
    assert.equal((await failure(client.echo('x'))).code, 'ERR_ONELINK_ENDPOINT_BLOCKED');

    // The blocker goes away: the next election (every second) takes the port.
    blocker.kill('SIGKILL');
    await waitFor('the client serving once the port is free', async () => ((await client.echo('back').catch(() => null)) === 'back' ? true : undefined), 5000, 50);
    console.log(`      bound, not listening: EndpointBlockedError after ${elapsed} ms (maxWaitTime ${MAX_WAIT_TIME} ms)`);
  });

  it('a program that does not speak the protocol: HandshakeError naming its pid', async () => {
    const port = await freePort();
    const script = `require('node:net').createServer((s) => s.once('data', () => s.write('HTTP/1.1 400 Bad Request\\r\\n\\r\\n'))).listen(${port}, '127.0.0.1', () => console.log('ready'))`;
    const program = await holdPort(process.execPath, ['-e', script]);
    children.push(program);
    const client = cluster(EchoClient, { port, maxWaitTime: MAX_WAIT_TIME, logger: silent }).create();
    clients.push(client);
    const err = await failure(client.ready());
    assert.ok(err instanceof HandshakeError, String(err));
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.match(err.message, new RegExp(`held by pid ${program.pid} \\(node\\), uid 0 \\(this user\\)`));
  });

  it(`a process of another user holding the port: AuthError naming that user (skipped unless root: ${SKIP_REASON})`, async function () {
    if (!canSwitchUser()) this.skip();
    await ensureBuilt();
    const port = await freePort();
    // The squatter listens at once (the port is free) and forges a leader's hello it cannot prove.
    const squat = runAttacker<{ won: boolean }>('squat', { port, raceMs: 2000, holdMs: 1500 }, { timeoutMs: 15000 });
    await waitFor('the other user holding the port', async () => ((await holderOf({ kind: 'tcp', port }))?.uid === OTHER_UID ? true : undefined), 5000, 20);
    const client = cluster(EchoClient, { port, maxWaitTime: MAX_WAIT_TIME, logger: silent }).create();
    clients.push(client);
    const err = await failure(client.ready());
    assert.ok(err instanceof AuthError, String(err));
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port} is held by a process that cannot prove`));
    assert.match(err.message, new RegExp(`held by pid \\d+ \\(node\\), uid ${OTHER_UID} \\(another user\\)`));
    assert.equal((await squat).won, true);
  });
});
