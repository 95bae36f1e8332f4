// Calls made while no process leads wait for one (bounded by maxWaitTime), then run or fail typed.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { WorkerProcess } from '../support/processes.js';
import { rejection } from '../support/rejections.js';
import { sleep } from './helpers.js';

describe('scenario: calls while there is no leader', function () {
  this.timeout(30000);
  const workers: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    workers.length = 0;
  });

  it('queues calls until a leader appears, then runs each once on it', async () => {
    const port = await freePort();
    // isLeader: false never takes the port: this process waits for someone else to lead.
    const waiting = await WorkerProcess.start({ port, options: { isLeader: false, maxWaitTime: 15000 } });
    workers.push(waiting);
    let settled = false;
    const calls = Promise.all([waiting.invoke('pid'), waiting.invoke('echo', { queued: true }), waiting.invoke('increment'), waiting.invoke('increment')]);
    void calls.finally(() => { settled = true; }).catch(() => undefined);
    await sleep(1000);
    assert.equal(settled, false, 'calls settled although no process leads');

    const leader = await WorkerProcess.start({ port });
    workers.push(leader);
    assert.deepEqual(await leader.ready, { ok: true, leader: true });
    const [pid, echoed, a, b] = await calls;
    assert.equal(pid, leader.pid);
    assert.deepEqual(echoed, { queued: true });
    assert.deepEqual([a, b].sort(), [1, 2], 'each queued non-idempotent call ran exactly once');
    assert.equal(await leader.invoke('increment'), 3);
    assert.deepEqual(await waiting.ready, { ok: true, leader: false });
  });

  it('fails queued calls and ready() with NoLeaderError after a small maxWaitTime', async () => {
    const port = await freePort();
    const maxWaitTime = 800;
    const started = Date.now();
    const waiting = await WorkerProcess.start({ port, options: { isLeader: false, maxWaitTime } });
    workers.push(waiting);
    const err = await rejection(waiting.invoke('pid'));
    const elapsed = Date.now() - started;
    assert.equal(err.code, 'ERR_ONELINK_NO_LEADER');
    assert.equal(err.name, 'NoLeaderError');
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    assert.ok(elapsed < maxWaitTime + 8000, `took ${elapsed} ms`);
    const ready = await waiting.ready;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_NO_LEADER');
    console.log(`      NoLeaderError after ${elapsed} ms (maxWaitTime ${maxWaitTime} ms, including process start)`);
  });
});
