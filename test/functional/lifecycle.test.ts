// The leader going away: killed (a new leader, subscriptions and publications carried over),
// closed (leadership handed over), and the last client closing (the port released).
import assert from 'node:assert/strict';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { freePort } from '../support/servers.js';
import { portIsFree, waitFor } from './helpers.js';

function alive(worker: WorkerProcess): boolean {
  return worker.child.exitCode === null && worker.child.signalCode === null;
}

/** The one process that leads among those given, once there is exactly one. */
async function newLeader(workers: WorkerProcess[], timeoutMs: number): Promise<WorkerProcess> {
  return waitFor('a new leader', async () => {
    const flags = await Promise.all(workers.map((w) => w.call<boolean>('isLeader')));
    return flags.filter(Boolean).length === 1 ? workers[flags.indexOf(true)] : undefined;
  }, timeoutMs);
}

describe('leader loss, hand-over and release of the port', function () {
  this.timeout(30000);
  const reg = { key: 'feed' };
  let workers: WorkerProcess[] = [];
  let port: number;
  let survivors: WorkerProcess[];

  before(async () => {
    port = await freePort();
    workers = await startWorkers(3, { port });
    const leader = await leaderOf(workers);
    survivors = workers.filter((w) => w !== leader);
    for (const w of workers) await w.call('subscribe', { tag: 'feed', reg });
    await survivors[0].call('publish', { reg: { topic: 'kept', by: survivors[0].pid } });
    await Promise.all(workers.map((w) => w.invoke('pid')));
    await leader.invoke('trigger', 'feed', 'before');
    await Promise.all(workers.map((w) => w.waitForValues('feed', 1)));
  });
  after(() => killAll(workers));

  it('after kill -9 of the leader: a follower leads, subscriptions deliver, publications are replayed', async function () {
    const killed = await leaderOf(workers);
    const started = Date.now();
    await killed.kill('SIGKILL');
    const leader = await newLeader(survivors, 10000);
    const electedMs = Date.now() - started;
    this.test!.title += ` (new leader in ${electedMs} ms)`;

    for (const w of survivors) assert.equal(await w.invoke('pid'), leader.pid);
    assert.equal(await leader.invoke('instanceCount'), 1, 'the new leader constructed its DataClient');
    assert.deepEqual(await waitFor('the replayed publication', async () => {
      const publications = await leader.invoke<unknown[]>('publications');
      return publications.length > 0 && publications;
    }), [{ topic: 'kept', by: survivors[0].pid }]);
    await waitFor('both subscriptions replayed', async () => (await leader.invoke('upstreamSubscriptions', 'feed')) === 1);
    await Promise.all(survivors.map((w) => w.invoke('pid')));

    await survivors[1].invoke('trigger', 'feed', 'after-kill');
    for (const w of survivors) assert.deepEqual(await w.waitForValues('feed', 2), ['before', 'after-kill']);
  });

  it('closing the leader hands leadership over within a few seconds, and calls keep working', async function () {
    const closing = await leaderOf(survivors);
    const staying = survivors.find((w) => w !== closing)!;
    const started = Date.now();
    await closing.call('close');
    await waitFor('the follower to take over', () => staying.call<boolean>('isLeader'), 5000);
    this.test!.title += ` (took over in ${Date.now() - started} ms)`;
    assert.ok(alive(closing), 'closing the client does not end the process');
    assert.equal(await staying.invoke('pid'), staying.pid);
    assert.equal(await staying.invoke<{ still: string }>('echo', { still: 'working' }).then((v) => v.still), 'working');
    await waitFor('the subscription on the new leader', async () => (await staying.invoke('upstreamSubscriptions', 'feed')) === 1);
    await staying.invoke('trigger', 'feed', 'after-close');
    assert.equal((await staying.waitForValues('feed', 3))[2], 'after-close');
  });

  it('closing the last client releases the port', async () => {
    const last = await leaderOf(survivors);
    assert.equal(await portIsFree(port), false, 'the leader holds the port');
    await last.call('close');
    assert.equal(await portIsFree(port), true);
  });
});
