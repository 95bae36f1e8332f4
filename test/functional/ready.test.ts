// ready() when the DataClient fails to start: the init error reaches every process, late joiners too.
import assert from 'node:assert/strict';
import { killAll, leaderOf, startWorkers, WorkerProcess } from '../support/processes.js';
import { rejection } from '../support/rejections.js';
import { freePort } from '../support/servers.js';
import type { SentError } from '../support/worker-messages.js';

describe('ready() with a DataClient whose init fails', function () {
  this.timeout(30000);
  const initError = { message: 'upstream refused the connection', code: 'ERR_UPSTREAM_INIT' };
  let workers: WorkerProcess[] = [];
  let port: number;

  before(async () => {
    port = await freePort();
    workers = await startWorkers(3, { port, clientOptions: { initError, initDelayMs: 50 } });
  });
  after(() => killAll(workers));

  function assertInitError(error: SentError | undefined, who: string): void {
    assert.ok(error, `${who}: ready() resolved`);
    assert.equal(error.name, 'InitError', who);
    assert.equal(error.message, initError.message, who);
    assert.equal(error.code, initError.code, who);
  }

  it('rejects ready() with the init error in the leader and in every follower', async () => {
    const results = await Promise.all(workers.map((w) => w.ready));
    const leader = await leaderOf(workers);
    results.forEach((r, i) => {
      assert.equal(r.ok, false);
      assertInitError(r.error, workers[i] === leader ? 'leader' : 'follower');
    });
  });

  it('fails calls with the init error too', async () => {
    for (const w of workers) {
      const err = await rejection(w.invoke('echo', 1), 'echo()');
      assertInitError(err, `worker ${w.pid}`);
    }
  });

  it('rejects ready() of a follower that joins later with the same error', async () => {
    const late = await WorkerProcess.start({ port, clientOptions: { initError, initDelayMs: 50 } });
    workers.push(late);
    const result = await late.ready;
    assert.equal(await late.call('isLeader'), false);
    assertInitError(result.error, 'late follower');
  });
});
