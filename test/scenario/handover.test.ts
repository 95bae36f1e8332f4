// A graceful close of the leader hands leadership to a follower, and the DataClient's
// exportState/importState hooks carry its state to the DataClient of the next leader.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { failuresOf, firstSuccessAfter, isAlive, singleLeader, sleep, startTrace, stopTrace } from './helpers.js';

describe('scenario: graceful close of the leader', function () {
  this.timeout(30000);
  let workers: WorkerProcess[] = [];
  after(() => killAll(workers));

  it('hands leadership to a follower with the DataClient state, without failing idempotent calls', async () => {
    const port = await freePort();
    // carryState: the EchoClient exports its increment counter and imports it on the next leader.
    workers = await startWorkers(3, { port, clientOptions: { carryState: true } });
    const leader = await leaderOf(workers);
    const followers = workers.filter((w) => w !== leader);
    for (let i = 1; i <= 5; i++) assert.equal(await followers[0]!.invoke('increment'), i);

    await Promise.all(followers.map((w) => startTrace(w, 'pid', 'pid')));
    await sleep(200);
    const closedAt = Date.now();
    assert.equal(await leader.call('close'), true);
    const next = await singleLeader(workers);
    assert.ok(followers.includes(next), 'a closed client still leads');
    assert.ok(isAlive(leader), 'closing the client ended its process');

    // 6, not 1: the counter came over from the closed leader.
    assert.equal(await followers.find((w) => w !== next)!.invoke('increment'), 6);
    assert.equal(await next.invoke('increment'), 7);

    await sleep(200);
    const traces = await Promise.all(followers.map((w) => stopTrace(w, 'pid')));
    for (const t of traces) assert.deepEqual(failuresOf(t), {}, 'an idempotent call failed during the handover');
    const times = traces.map((t) => firstSuccessAfter(t, closedAt, next.pid));
    console.log(`      graceful close → first call served by the next leader (ms): ${times.join(', ')}`);
    for (const ms of times) assert.ok(ms !== undefined && ms < 5000, `a follower took ${ms} ms to reach the next leader`);
  });
});
