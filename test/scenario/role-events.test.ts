// What a process tells its application about the cluster: the 'leader' / 'follower' / 'failover'
// events, the log level of a handover (info) and of a crash (warn), and each client's stats().
import assert from 'node:assert/strict';
import type { ClientStats, FailoverEvent, LeaderStatus } from '../../lib/index.js';
import { onelink } from '../support/onelink-command.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { isAlive, waitFor } from './helpers.js';

/** Generous: the machine running the tests is loaded; a failover takes far less. */
const FAILOVER_BOUND_MS = 10000;

describe('operating a cluster', function () {
  this.timeout(60000);
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    await killAll(workers);
    workers = [];
  });

  describe('events and stats()', () => {
    it('kill -9 of the leader: each follower emits failover { from, to, ms } and its new role', async () => {
      const port = await freePort();
      workers = await startWorkers(3, { port, reportLogs: true });
      const leader = await leaderOf(workers);
      assert.deepEqual(leader.eventsOf('leader'), [{ pid: leader.pid }]);
      const survivors = workers.filter((w) => w !== leader);
      for (const survivor of survivors) assert.deepEqual(survivor.eventsOf('follower'), [{ leader: leader.pid }]);

      await leader.kill('SIGKILL');
      const failovers = await Promise.all(survivors.map((w) => waitFor(`failover in ${w.pid}`, () => w.eventsOf('failover')[0] as FailoverEvent | undefined, FAILOVER_BOUND_MS)));
      const next = await leaderOf(survivors);
      for (const failover of failovers) {
        assert.equal(failover.from, leader.pid);
        assert.equal(failover.to, next.pid);
        assert.ok(failover.ms > 0 && failover.ms < FAILOVER_BOUND_MS, `failover took ${failover.ms} ms`);
      }
      assert.deepEqual(next.eventsOf('leader'), [{ pid: next.pid }]);
      const other = survivors.find((w) => w !== next)!;
      await waitFor('the follower event', () => (other.eventsOf('follower').length === 2 ? true : undefined));
      assert.deepEqual(other.eventsOf('follower'), [{ leader: leader.pid }, { leader: next.pid }]);
      // A crash is a fault: warned about.
      for (const survivor of survivors) assert.ok(survivor.logs.some((l) => l.level === 'warn' && /lost the leader/.test(l.message)), JSON.stringify(survivor.logs));
      assert.equal((await other.call<ClientStats>('stats')).reconnects, 1);

      // The new leader knows how long its election took.
      const run = await onelink('status', '--port', String(port), '--json');
      const status = JSON.parse(run.stdout) as LeaderStatus;
      assert.equal(status.leader.pid, next.pid);
      assert.equal(status.counters.failovers, 1);
      assert.equal(status.counters.lastFailoverMs, failovers[survivors.indexOf(next)].ms);
    });

    it('a graceful close of the leader is logged at info, with no warning', async () => {
      const port = await freePort();
      workers = await startWorkers(3, { port, reportLogs: true });
      const leader = await leaderOf(workers);
      const survivors = workers.filter((w) => w !== leader);
      await leader.call('close');
      await Promise.all(survivors.map((w) => waitFor(`failover in ${w.pid}`, () => w.eventsOf('failover')[0], FAILOVER_BOUND_MS)));
      await leaderOf(survivors.filter(isAlive));
      for (const survivor of survivors) {
        assert.deepEqual(survivor.logs.filter((l) => l.level === 'warn' || l.level === 'error'), []);
        assert.ok(survivor.logs.some((l) => l.level === 'info' && new RegExp(`leader ${leader.pid} of 127\\.0\\.0\\.1:${port} handed over`).test(l.message)), JSON.stringify(survivor.logs));
      }
    });

    it('stats() counts the calls made, errors by code, latency and the role', async () => {
      const port = await freePort();
      workers = await startWorkers(2, { port });
      const leader = await leaderOf(workers);
      const follower = workers.find((w) => w !== leader)!;
      for (const worker of workers) {
        for (let i = 0; i < 20; i++) await worker.invoke('echo', i);
        await worker.invoke('noop', 1); // oneway
        await assert.rejects(worker.invoke('fail', { message: 'no', code: 'E_ONE' }));
        await assert.rejects(worker.invoke('fail', { message: 'no', code: 'E_TWO' }));
        await assert.rejects(worker.invoke('fail', { message: 'no', code: 'E_TWO' }));
      }
      const [leaderStats, followerStats] = await Promise.all([leader.call<ClientStats>('stats'), follower.call<ClientStats>('stats')]);
      for (const [stats, role] of [[leaderStats, 'leader'], [followerStats, 'follower']] as const) {
        assert.equal(stats.role, role);
        assert.equal(stats.calls, 24);
        assert.deepEqual(stats.errors, { E_ONE: 1, E_TWO: 2 });
        assert.equal(stats.inFlight, 0);
        assert.equal(stats.reconnects, 0);
        assert.ok(stats.latency.p50! > 0 && stats.latency.p99! >= stats.latency.p50!, JSON.stringify(stats.latency));
      }
    });
  });
});
