// A process that stops answering (SIGSTOP) while keeping its sockets open. A hung leader still
// holds the port, so nobody can take over: calls must fail typed instead of hanging, and the system
// must recover once it answers again. A hung follower is dropped by the leader after missed heartbeats.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import type { LoopCounts } from '../support/worker-messages.js';
import { rejection } from '../support/rejections.js';
import { isAlive, singleLeader, sleep, waitFor } from './helpers.js';

const OPTIONS = {
  heartbeatInterval: 250,
  heartbeatMaxMisses: 3,
  responseTimeout: 1000,
  connectTimeout: 500,
  maxWaitTime: 2000,
};
/** Worst case to a typed failure: a heartbeat loss, then a whole maxWaitTime of election; plus room for a loaded machine. */
const FAIL_BOUND_MS = OPTIONS.heartbeatInterval * (OPTIONS.heartbeatMaxMisses + 1) + OPTIONS.maxWaitTime + OPTIONS.responseTimeout + 4000;
const TYPED_WHILE_HUNG = ['ERR_ONELINK_RESPONSE_TIMEOUT', 'ERR_ONELINK_NO_LEADER'];

describe('scenario: hung processes (SIGSTOP)', function () {
  this.timeout(40000);
  let workers: WorkerProcess[] = [];
  let leader: WorkerProcess;
  let followers: WorkerProcess[];

  before(async () => {
    const port = await freePort();
    workers = await startWorkers(3, { port, options: OPTIONS });
    leader = await leaderOf(workers);
    followers = workers.filter((w) => w !== leader);
  });

  afterEach(() => {
    for (const w of workers) if (isAlive(w)) w.child.kill('SIGCONT');
  });

  after(() => killAll(workers));

  it('a hung leader: followers\' calls fail with typed errors instead of hanging, and work again after SIGCONT', async () => {
    leader.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const outcomes = await Promise.all(followers.flatMap((w) => [
      rejection(w.invoke('pid')).then((err) => ({ method: 'pid', err, ms: Date.now() - stoppedAt })),
      rejection(w.invoke('increment')).then((err) => ({ method: 'increment', err, ms: Date.now() - stoppedAt })),
    ]));
    for (const { method, err, ms } of outcomes) {
      // increment is not idempotent: a heartbeat loss while it is in flight is a LeaderLostError.
      const allowed = method === 'increment' ? [...TYPED_WHILE_HUNG, 'ERR_ONELINK_LEADER_LOST'] : TYPED_WHILE_HUNG;
      assert.ok(typeof err.code === 'string' && allowed.includes(err.code), `${method} failed with ${err.code ?? err.name}: ${err.message}`);
      assert.ok(ms < FAIL_BOUND_MS, `${method} took ${ms} ms to fail`);
    }
    console.log(`      hung leader: calls failed after ${outcomes.map((o) => `${o.method} ${o.ms} ms ${o.err.code}`).join(', ')}`);
    // Nobody took over a port that is still held.
    for (const w of followers) assert.equal(await w.call('isLeader'), false);

    leader.child.kill('SIGCONT');
    const resumedAt = Date.now();
    for (const w of followers) {
      await waitFor(`follower ${w.pid} to reach the resumed leader`, async () => ((await w.invoke('pid')) === leader.pid ? true : undefined), 15000, 100);
    }
    console.log(`      hung leader: every follower served again ${Date.now() - resumedAt} ms after SIGCONT`);
    assert.equal((await singleLeader(workers)).pid, leader.pid);
    for (const w of followers) assert.deepEqual(await w.invoke('echo', { back: w.pid }), { back: w.pid });
  });

  it('a hung follower is dropped by the leader after missed heartbeats while the others keep working, and comes back after SIGCONT', async () => {
    const [hung, healthy] = followers as [WorkerProcess, WorkerProcess];
    const key = { key: `only-${hung.pid}` };
    await hung.call('subscribe', { tag: 'hung', reg: key });
    await waitFor('the subscription of the follower to reach the leader', async () => ((await leader.invoke('upstreamSubscriptions', key.key)) === 1 ? true : undefined));
    await healthy.call('loop', { tag: 'healthy', method: 'echo', args: ['alive'] });

    hung.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    // The leader releases what the hung follower held once it drops the connection.
    await waitFor('the leader to drop the hung follower', async () => ((await leader.invoke('upstreamSubscriptions', key.key)) === 0 ? true : undefined), 10000);
    const droppedMs = Date.now() - stoppedAt;
    const silence = OPTIONS.heartbeatInterval * OPTIONS.heartbeatMaxMisses;
    assert.ok(droppedMs >= silence - OPTIONS.heartbeatInterval, `dropped after ${droppedMs} ms, before ${OPTIONS.heartbeatMaxMisses} heartbeats could be missed`);
    console.log(`      hung follower dropped ${droppedMs} ms after SIGSTOP (heartbeat ${OPTIONS.heartbeatInterval} ms × ${OPTIONS.heartbeatMaxMisses})`);
    assert.equal(await healthy.invoke('pid'), leader.pid);
    await sleep(200);

    hung.child.kill('SIGCONT');
    await waitFor('the resumed follower to reach the leader', async () => ((await hung.invoke('pid')) === leader.pid ? true : undefined), 15000, 100);
    // Its subscription is replayed on reconnection, and values reach it again.
    await waitFor('the resumed follower to subscribe again', async () => ((await leader.invoke('upstreamSubscriptions', key.key)) === 1 ? true : undefined));
    await healthy.invoke('trigger', key.key, 'after resume');
    const values = await hung.waitForValues('hung', 1);
    assert.equal(values.at(-1), 'after resume');

    const loop = await healthy.call<LoopCounts>('stopLoop', { tag: 'healthy' });
    assert.deepEqual(loop.failed, {}, 'the healthy follower saw failures while another follower hung');
    assert.ok(loop.ok > 0);
    assert.equal((await singleLeader(workers)).pid, leader.pid);
  });
});
