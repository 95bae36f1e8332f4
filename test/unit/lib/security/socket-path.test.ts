import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import type { Server } from 'node:net';
import { join } from 'node:path';
import { SocketPathError } from '../../../../lib/security/errors.js';
import { MAX_SOCKET_PATH_BYTES, claimSocketPath, probeSocket, resolveSocketPath } from '../../../../lib/security/socket-path.js';
import { Racers } from './racers.js';
import { useTempDir } from './temp.js';

/** A socket file left behind by a process that died without closing its server. */
function staleSocket(path: string): void {
  execFileSync(process.execPath, ['-e', `require('node:net').createServer().listen(process.argv[1], () => process.exit(0))`, path]);
  assert.ok(lstatSync(path).isSocket());
}

function isSocketPathError(message: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof SocketPathError, String(e));
    assert.equal(e.code, 'ERR_ONELINK_SOCKET_PATH');
    assert.match(e.message, message);
    return true;
  };
}

/** Which of the servers a new connection to path reaches. */
function whoAnswers(path: string, servers: Server[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const handlers = servers.map((server, i) => {
      const onConnection = (socket: import('node:net').Socket) => {
        socket.destroy();
        cleanup();
        resolve(i);
      };
      server.on('connection', onConnection);
      return () => server.off('connection', onConnection);
    });
    const cleanup = () => handlers.forEach((off) => off());
    const client = connect(path);
    client.on('error', (error) => {
      cleanup();
      reject(error);
    });
    client.on('connect', () => client.end());
  });
}

/** What the server at path writes to a new connection. */
function answer(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const client = connect(path);
    client.setEncoding('utf8');
    client.on('data', (chunk: string) => (text += chunk));
    client.on('end', () => resolve(text));
    client.on('error', reject);
  });
}

async function closeAll(servers: Server[]): Promise<void> {
  await Promise.all(servers.map((server) => new Promise<void>((resolve) => (server.listening ? server.close(() => resolve()) : resolve()))));
}

describe('security: unix socket path', () => {
  const temp = useTempDir();
  const servers: Server[] = [];
  function server(): Server {
    const s = createServer();
    servers.push(s);
    return s;
  }
  afterEach(async () => {
    await closeAll(servers.splice(0));
  });

  it('uses an absolute path as is, and puts a bare name in the runtime directory', () => {
    assert.equal(resolveSocketPath('/var/run/app.sock', '/run/user/1/onelink'), '/var/run/app.sock');
    assert.equal(resolveSocketPath('orders', '/run/user/1/onelink'), '/run/user/1/onelink/orders.sock');
    assert.throws(() => resolveSocketPath('sub/orders', '/rt'), isSocketPathError(/neither absolute nor a bare name/));
    assert.throws(() => resolveSocketPath('../orders', '/rt'), isSocketPathError(/neither absolute nor a bare name/));
    assert.throws(() => resolveSocketPath('', '/rt'), SocketPathError);
    const long = `/${'x'.repeat(MAX_SOCKET_PATH_BYTES)}`;
    assert.throws(() => resolveSocketPath(long, '/rt'), isSocketPathError(new RegExp(`is ${MAX_SOCKET_PATH_BYTES + 1} bytes, over the ${MAX_SOCKET_PATH_BYTES}`)));
  });

  it('probes a path as absent, live or stale', async () => {
    const path = join(temp.path, 'a.sock');
    assert.equal(await probeSocket(path), 'absent');
    const s = server();
    await new Promise<void>((resolve) => s.listen(path, resolve));
    assert.equal(await probeSocket(path), 'live');
    await closeAll([s]);
    staleSocket(path);
    assert.equal(await probeSocket(path), 'stale');
  });

  it('claims a free path, and finds a live one held', async () => {
    const path = join(temp.path, 'a.sock');
    const first = server();
    assert.equal(await claimSocketPath(first, path), 'listening');
    assert.equal(await claimSocketPath(server(), path), 'held');
    assert.equal(await whoAnswers(path, servers), 0);
  });

  it('replaces a stale socket left by a dead process, and removes its claim lock', async () => {
    const path = join(temp.path, 'a.sock');
    staleSocket(path);
    const s = server();
    assert.equal(await claimSocketPath(s, path), 'listening');
    assert.equal(await whoAnswers(path, [s]), 0);
    assert.equal(existsSync(`${path}.lock`), false);
  });

  it('of many claimers of one stale socket, exactly one listens and the others find it held', async function () {
    this.timeout(60000);
    for (let round = 0; round < 10; round++) {
      const path = join(temp.path, `race-${round}.sock`);
      staleSocket(path);
      const claimers = Array.from({ length: 8 }, () => server());
      const results = await Promise.all(claimers.map((s) => claimSocketPath(s, path)));
      const winners = results.flatMap((r, i) => (r === 'listening' ? [i] : []));
      assert.equal(winners.length, 1, `round ${round}: ${results.join(', ')}`);
      assert.equal(claimers.filter((s) => s.listening).length, 1);
      assert.equal(await whoAnswers(path, claimers), winners[0]);
      await closeAll(claimers);
    }
  });

  it('of several processes claiming one stale socket, exactly one listens and answers', async function () {
    this.timeout(150000);
    const racers = await Racers.start(6);
    try {
      for (let round = 0; round < 3; round++) {
        const path = join(temp.path, `race-${round}.sock`);
        staleSocket(path);
        const results = await racers.race({ op: 'claim', path });
        const winners = racers.pids().filter((_, i) => results[i].claim === 'listening');
        assert.equal(winners.length, 1, `round ${round}: ${JSON.stringify(results)}`);
        assert.deepEqual(results.filter((r) => r.claim !== 'listening'), results.slice(1).map(() => ({ claim: 'held' })));
        assert.equal(await answer(path), String(winners[0]));
      }
    } finally {
      await racers.stop();
    }
  });

  it('never deletes a file that is not a socket', async () => {
    const path = join(temp.path, 'a.sock');
    writeFileSync(path, 'precious');
    await assert.rejects(claimSocketPath(server(), path), isSocketPathError(/is taken by a file that is not a socket: move it away/));
    assert.equal(readFileSync(path, 'utf8'), 'precious');
  });

  it('leaves a stale socket alone while another claimer holds the lock, and says so when out of time', async () => {
    const path = join(temp.path, 'a.sock');
    staleSocket(path);
    writeFileSync(`${path}.lock`, '1\n');
    await assert.rejects(claimSocketPath(server(), path, { timeoutMs: 300 }), isSocketPathError(/could not claim socket path .* within 300 ms: it stays stale while .*\.lock is held/));
    assert.ok(lstatSync(path).isSocket());
  });

  it('breaks a claim lock left by a claimer that died mid-claim', async () => {
    const path = join(temp.path, 'a.sock');
    staleSocket(path);
    writeFileSync(`${path}.lock`, '1\n');
    const old = new Date(Date.now() - 60000);
    utimesSync(`${path}.lock`, old, old);
    const s = server();
    assert.equal(await claimSocketPath(s, path, { staleLockMs: 10000 }), 'listening');
    assert.equal(existsSync(`${path}.lock`), false);
    assert.deepEqual(execFileSync('ls', [temp.path]).toString().trim().split('\n'), ['a.sock']);
  });
});
