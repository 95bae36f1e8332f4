// A follower whose client does not match the leader's: options that must agree differ (or only its
// constructor arguments, which is no failure), or the
// leader process never creates a client of that name. Each fails with its own typed error,
// and the leader keeps serving the followers that do match.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, startWorkers, WorkerProcess } from '../support/processes.js';

const MAX_WAIT = 1000;

describe('scenario: followers that do not match the leader', function () {
  this.timeout(30000);
  let workers: WorkerProcess[] = [];
  let leader: WorkerProcess;
  let port: number;

  before(async () => {
    port = await freePort();
    workers = await startWorkers(1, { port, options: { maxWaitTime: MAX_WAIT } });
    leader = workers[0]!;
    assert.deepEqual(await leader.ready, { ok: true, leader: true });
  });

  after(() => killAll(workers));

  async function follower(config: { name?: string; options?: Record<string, unknown>; clientOptions?: Record<string, unknown> }): Promise<WorkerProcess> {
    const worker = await WorkerProcess.start({ port, ...config });
    workers.push(worker);
    return worker;
  }

  it('isBroadcast differs: ready() and calls reject with OptionsMismatchError naming it', async () => {
    const w = await follower({ options: { isBroadcast: false } });
    const ready = await w.ready;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
    assert.equal(ready.error!.name, 'OptionsMismatchError');
    assert.match(ready.error!.message, /isBroadcast: leader true, follower false/);
    const call = await w.invoke('echo', 'x').then(() => null, (err) => err);
    assert.equal(call?.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
  });

  it('the delegate lists differ: ready() rejects with OptionsMismatchError naming the methods', async () => {
    // autoGenerate: false leaves only the explicit delegates of the worker.
    const w = await follower({ options: { autoGenerate: false } });
    const ready = await w.ready;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
    assert.match(ready.error!.message, /delegate "increment": leader invoke, follower none/);
    assert.match(ready.error!.message, /delegate "subscribe": leader subscribe, follower none/);
    assert.doesNotMatch(ready.error!.message, /delegate "echo"/, 'a delegate both sides agree on was named');
  });

  it('the constructor arguments differ: the leader\'s DataClient serves the follower, as in cluster-client (egg passes each process its own config)', async () => {
    const w = await follower({ clientOptions: { initDelayMs: 1 } });
    assert.deepEqual(await w.ready, { ok: true, leader: false });
    assert.equal(await w.invoke('pid'), leader.pid);
    assert.equal(await w.invoke('instanceCount'), 1);
  });

  it('a channel the leader process never creates: ready() rejects with ChannelUnavailableError after maxWaitTime', async () => {
    const w = await follower({ name: 'ghost', options: { maxWaitTime: MAX_WAIT } });
    const started = Date.now();
    const ready = await w.ready;
    const elapsed = Date.now() - started;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_CHANNEL_UNAVAILABLE');
    assert.equal(ready.error!.name, 'ChannelUnavailableError');
    assert.match(ready.error!.message, /"ghost"/);
    assert.ok(elapsed < MAX_WAIT + 5000, `took ${elapsed} ms`);
    console.log(`      ChannelUnavailableError ${elapsed} ms after the follower was created (leader's maxWaitTime ${MAX_WAIT} ms)`);
  });

  it('the leader still serves a matching follower, and made one DataClient only', async () => {
    const w = await follower({});
    assert.deepEqual(await w.ready, { ok: true, leader: false });
    assert.equal(await w.invoke('pid'), leader.pid);
    assert.equal(await w.invoke('instanceCount'), 1);
  });
});
