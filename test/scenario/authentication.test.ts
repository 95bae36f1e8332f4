// Who may join an endpoint, in real processes: a follower with another secret is refused with
// AuthError; processes on a Unix socket path elect, call and fail over like on a port, claiming the
// socket file a dead leader left; and processes of another protocol version are told so.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, cluster, HandshakeError, NoLeaderError, RuntimeDirError } from '../../lib/index.js';
import { portIsFree } from '../functional/helpers.js';
import { decodeValue, encodeFrame, encodeValue, FrameDecoder, FrameKind, type Frame } from '../../protocol/index.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { rejectionOf } from '../support/rejections.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { isAlive, singleLeader, waitFor } from './helpers.js';

const silent = { info() {}, warn() {}, error() {}, debug() {} };

/** A frame of protocol version 1, as a process of an older onelink sends it. */
function versionOneFrame(connection: unknown): Buffer {
  const frame = encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue(connection), Buffer.alloc(0));
  frame[0] = 1;
  return frame;
}

describe('scenario: authentication between real processes', function () {
  this.timeout(60000);
  let workers: WorkerProcess[] = [];
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'onelink-auth-'));
  });
  afterEach(async () => {
    await killAll(workers);
    workers = [];
    rmSync(dir, { recursive: true, force: true });
  });

  it('a follower with another secret fails with AuthError naming the endpoint; one with the same secret follows', async () => {
    const port = await freePort();
    workers = await startWorkers(1, { port, options: { secret: 'right secret' } });
    const [leader] = workers;
    assert.equal(await leader!.call('isLeader'), true);
    const client = cluster(EchoClient, { port, secret: 'wrong secret', isLeader: false, maxWaitTime: 5000, logger: silent }).create();
    try {
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof AuthError, String(err));
      assert.equal(err.code, 'ERR_ONELINK_AUTH');
      assert.equal(
        err.message,
        `127.0.0.1:${port} is held by a process that cannot prove it holds this application's key (another user or application?); ` +
          `held by pid ${leader!.pid} (node), uid ${process.getuid!()} (this user): give this application its own port or path, or stop that process`,
      );
      await assert.rejects(client.echo('x'), { code: 'ERR_ONELINK_AUTH' });
    } finally {
      await client.close();
    }
    // Without a secret, the key comes from the runtime directory: not the leader's either.
    const keyFileFollower = cluster(EchoClient, { port, isLeader: false, maxWaitTime: 5000, logger: silent }).create();
    try {
      await assert.rejects(keyFileFollower.ready(), { code: 'ERR_ONELINK_AUTH' });
    } finally {
      await keyFileFollower.close();
    }
    workers.push(...(await startWorkers(1, { port, options: { secret: 'right secret' } })));
    assert.equal(await workers[1]!.invoke('pid'), leader!.pid);
  });

  it('a runtime directory writable by others fails ready() and calls with RuntimeDirError, and nothing listens', async () => {
    const port = await freePort();
    const runtimeDir = join(dir, 'runtime');
    mkdirSync(runtimeDir);
    chmodSync(runtimeDir, 0o777);
    const saved = process.env.ONELINK_RUNTIME_DIR;
    process.env.ONELINK_RUNTIME_DIR = runtimeDir;
    const client = cluster(EchoClient, { port, maxWaitTime: 5000, logger: silent }).create();
    try {
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof RuntimeDirError, String(err));
      assert.match(err.message, /is writable by every user \(mode 0777\): run chmod 700/);
      await assert.rejects(client.echo('x'), { code: 'ERR_ONELINK_RUNTIME_DIR' });
      assert.equal(await portIsFree(port), true, 'a process that cannot read its key took the port');
    } finally {
      if (saved === undefined) delete process.env.ONELINK_RUNTIME_DIR;
      else process.env.ONELINK_RUNTIME_DIR = saved;
      await client.close();
    }
  });

  it('on a Unix socket path: election, calls, kill -9 of the leader then failover on the same path, and a stale socket file claimed', async () => {
    const path = join(dir, 'app.sock');
    // The port is not used when a path is given.
    const config = { port: await freePort(), options: { path } };
    workers = await startWorkers(2, config);
    const leader = await leaderOf(workers);
    const follower = workers.find((w) => w !== leader)!;
    assert.equal(await follower.invoke('pid'), leader.pid);
    assert.ok(existsSync(path));

    await leader.kill();
    const next = await singleLeader(workers.filter(isAlive), 15000);
    assert.equal(next, follower);
    assert.equal(await follower.invoke('pid'), follower.pid);
    workers.push(...(await startWorkers(1, config)));
    assert.equal(await workers[2]!.invoke('pid'), follower.pid);

    // Every process killed: the socket file stays, stale; the next process claims it.
    await killAll(workers);
    assert.ok(existsSync(path), 'a killed leader leaves its socket file');
    workers = await startWorkers(1, config);
    assert.equal(await workers[0]!.call('isLeader'), true);
    // A graceful close removes the socket file.
    await workers[0]!.call('close');
    await waitFor('the socket file removed', () => (existsSync(path) ? undefined : true));
  });

  it('a follower meeting a leader that answers with a frame of protocol 1 fails with a HandshakeError naming both versions', async () => {
    const port = await freePort();
    const oldLeader = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => socket.write(versionOneFrame({ magic: 'onelink', version: 1, pid: 1, role: 'leader' })));
    });
    await new Promise<void>((resolve) => oldLeader.listen(port, '127.0.0.1', resolve));
    const client = cluster(EchoClient, { port, maxWaitTime: 5000, logger: silent }).create();
    try {
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof HandshakeError, String(err));
      assert.equal(err.message, `the leader on 127.0.0.1:${port} speaks onelink protocol 1, this process protocol 2: upgrade all processes of the app together`);
      assert.equal(err.peerVersion, 1);
    } finally {
      await client.close();
      await new Promise((resolve) => oldLeader.close(resolve));
    }
  });

  it('a follower meeting a leader of protocol 1, which closes on a hello of protocol 2 without a byte: NoLeaderError naming a possible version mismatch', async () => {
    const port = await freePort();
    // What onelink's protocol 1 leader did: its decoder refused the header's version byte, and it
    // destroyed the socket, answering nothing.
    const helloVersions: number[] = [];
    const oldLeader = net.createServer((socket) => {
      socket.on('error', () => undefined);
      socket.once('data', (chunk: Buffer) => {
        helloVersions.push(chunk[0]!);
        if (chunk[0] !== 1) socket.destroy();
      });
    });
    await new Promise<void>((resolve) => oldLeader.listen(port, '127.0.0.1', resolve));
    const client = cluster(EchoClient, { port, maxWaitTime: 1500, logger: silent }).create();
    try {
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof NoLeaderError, String(err));
      assert.equal(
        err.message,
        `no leader could be elected or reached on 127.0.0.1:${port} within maxWaitTime (1500 ms): 127.0.0.1:${port} accepted the connection and closed it without answering this process's hello (onelink protocol 2). ` +
          'A leader of an older onelink (protocol 1) does this: if it goes on, upgrade all processes of the app together',
      );
      assert.ok(helloVersions.length > 0 && helloVersions.every((v) => v === 2), JSON.stringify(helloVersions));
    } finally {
      await client.close();
      await new Promise((resolve) => oldLeader.close(resolve));
    }
  });

  it('a follower of protocol 1 gets a frame of protocol 2, which its decoder reports as a version mismatch, then the connection closes', async () => {
    const port = await freePort();
    workers = await startWorkers(1, { port });
    const socket = net.connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', () => undefined);
    socket.write(versionOneFrame({ magic: 'onelink', version: 1, pid: process.pid, role: 'follower' }));
    await new Promise((resolve) => socket.once('close', resolve));
    const bytes = Buffer.concat(received);
    assert.equal(bytes[0], 2, 'the answer is not a frame of protocol 2');
    const frames: Frame[] = [];
    new FrameDecoder({ onFrame: (frame) => frames.push(frame), onError: (error) => assert.fail(error) }).push(bytes);
    assert.deepEqual(frames.map((frame) => decodeValue(frame.connection)), [{ magic: 'onelink', version: 2, role: 'leader' }]);
  });
});
