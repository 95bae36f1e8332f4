import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';

describe('smoke: 3 processes', () => {
  let workers: WorkerProcess[] = [];
  afterEach(() => killAll(workers));

  it('elects one leader and forwards calls', async () => {
    const port = await freePort();
    workers = await startWorkers(3, { port });
    const results = await Promise.all(workers.map((w) => w.ready));
    assert.equal(results.filter((r) => r.leader).length, 1);
    const leader = await leaderOf(workers);
    for (const w of workers) {
      assert.equal(await w.invoke('pid'), leader.pid);
      assert.deepEqual(await w.invoke('echo', { a: [1, 'x'] }), { a: [1, 'x'] });
      assert.equal(await w.invoke('instanceCount'), 1);
    }
  });
});
