// `onelink status` against a live cluster of real processes, and against an endpoint that nobody
// or a foreign program holds.
import assert from 'node:assert/strict';
import net from 'node:net';
import type { LeaderStatus } from '../../lib/index.js';
import { onelink } from '../support/onelink-command.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';

describe('operating a cluster', function () {
  this.timeout(60000);
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killAll(workers);
    workers = [];
  });

  describe('onelink status', () => {
    it('prints the leader, its channel and its followers of a live 3-process cluster, as JSON and as text', async () => {
      const port = await freePort();
      workers = await startWorkers(3, { port });
      const leader = await leaderOf(workers);
      const followers = workers.filter((w) => w !== leader);
      for (const follower of followers) {
        for (let i = 0; i < 5; i++) await follower.invoke('echo', i);
      }
      await assert.rejects(followers[0].invoke('fail', { message: 'no', code: 'E_STATUS_TEST' }));

      const run = await onelink('status', '--port', String(port), '--json');
      assert.equal(run.code, 0, run.stderr);
      const status = JSON.parse(run.stdout) as LeaderStatus;
      assert.equal(status.protocol, 2);
      assert.equal(status.leader.pid, leader.pid);
      assert.equal(status.leader.endpoint, `127.0.0.1:${port}`);
      assert.ok(status.leader.uptimeMs >= 0 && status.leader.uptimeMs < 60000);
      assert.deepEqual(status.channels, [{ name: 'echo', dataClient: 'EchoClient', followers: 2, subscriptions: 0, local: true }]);
      assert.deepEqual(status.followers.map((f) => f.pid).sort(), followers.map((f) => f.pid).sort());
      const first = status.followers.find((f) => f.pid === followers[0].pid)!;
      const second = status.followers.find((f) => f.pid === followers[1].pid)!;
      assert.deepEqual([first.calls, first.errors, second.calls, second.errors], [6, 1, 5, 0]);
      assert.deepEqual(first.channels, ['echo']);
      assert.equal(first.inFlight, 0);
      assert.ok(first.bytesIn > 0 && first.bytesOut > 0);
      assert.equal(status.counters.calls, 11);
      assert.deepEqual(status.counters.errors, { E_STATUS_TEST: 1 });
      assert.equal(status.counters.failovers, 0);
      assert.equal(status.counters.lastFailoverMs, null);

      const text = await onelink('status', '--port', String(port));
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, new RegExp(`^leader +pid ${leader.pid} on 127\\.0\\.0\\.1:${port}, protocol 2`, 'm'));
      assert.match(text.stdout, /^ {2}echo +EchoClient +2 +0 +yes$/m);
      for (const follower of followers) assert.match(text.stdout, new RegExp(`^ {2}${follower.pid} `, 'm'));
      // The observer did not join: the followers still follow the same leader, and no election ran.
      assert.equal((await leaderOf(workers)).pid, leader.pid);
      for (const worker of workers) assert.deepEqual(worker.eventsOf('failover'), []);
    });

    it('says that nothing listens, with exit code 2', async () => {
      const run = await onelink('status', '--port', String(await freePort()));
      assert.equal(run.code, 2);
      assert.match(run.stderr, /nothing listens on 127\.0\.0\.1:\d+: no onelink process uses this endpoint/);
      assert.equal(run.stdout, '');
    });

    it('says that a foreign program holds the endpoint, with exit code 3', async () => {
      const port = await freePort();
      const sockets = new Set<net.Socket>();
      const server = net.createServer((socket) => {
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      });
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      try {
        const run = await onelink('status', '--port', String(port));
        assert.equal(run.code, 3);
        assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is held by a program that does not speak the onelink protocol`));
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      }
    });

    it('says that a process of another application holds the endpoint, with exit code 4', async () => {
      const port = await freePort();
      workers = await startWorkers(1, { port, options: { secret: 'the application on this port' } });
      const run = await onelink('status', '--port', String(port));
      assert.equal(run.code, 4);
      assert.match(run.stderr, new RegExp(`127\\.0\\.0\\.1:${port} is held by a process that cannot prove it holds this application's key`));
    });

    it('refuses bad arguments with the usage, exit code 1', async () => {
      const run = await onelink('status', '--port', 'seven');
      assert.equal(run.code, 1);
      assert.match(run.stderr, /--port must be a number/);
      assert.match(run.stderr, /usage: onelink status/);
    });
  });
});
