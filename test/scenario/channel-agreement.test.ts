// A follower whose client does not match the leader's: options that must agree differ (constructor
// arguments included, unless every client of the name allows other ones), or the leader process
// never creates a client of that name. Each fails with its own typed error, and the leader keeps
// serving the followers that do match.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, startWorkers, WorkerProcess } from '../support/processes.js';

/** Long, so that a failure well within it shows the leader answered without waiting it out. */
const MAX_WAIT = 15000;

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
    assert.match(ready.error!.message, new RegExp(`client "echo" differs from the one of the leader of 127\\.0\\.0\\.1:${port} \\(pid ${leader.pid}\\)`));
    assert.match(ready.error!.message, /give each application its own port or name/);
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

  it('the constructor arguments differ: ready() rejects at once with OptionsMismatchError naming their digests and allowDifferentArgs', async () => {
    const w = await follower({ clientOptions: { initDelayMs: 1 } });
    const started = Date.now();
    const ready = await w.ready;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
    assert.match(ready.error!.message, /constructor arguments: leader digest [0-9a-f]{12}…, follower [0-9a-f]{12}…/);
    assert.match(ready.error!.message, /set allowDifferentArgs: true on every client of the name/);
    assert.match(ready.error!.message, new RegExp(`\\(pid ${leader.pid}\\)`));
    assert.ok(Date.now() - started < MAX_WAIT / 3);
  });

  it('the constructor arguments differ and every client allows it: the leader\'s DataClient serves the follower (egg-watcher passes each process its own config)', async () => {
    const allowingPort = await freePort();
    const options = { allowDifferentArgs: true, maxWaitTime: MAX_WAIT };
    const allowingLeader = await WorkerProcess.start({ port: allowingPort, options });
    workers.push(allowingLeader);
    assert.deepEqual(await allowingLeader.ready, { ok: true, leader: true });
    const w = await WorkerProcess.start({ port: allowingPort, options, clientOptions: { initDelayMs: 1 } });
    workers.push(w);
    assert.deepEqual(await w.ready, { ok: true, leader: false });
    assert.equal(await w.invoke('pid'), allowingLeader.pid);
    assert.equal(await w.invoke('instanceCount'), 1);
    // allowDifferentArgs must itself agree: a strict follower is refused by an allowing leader.
    const strict = await WorkerProcess.start({ port: allowingPort, clientOptions: { initDelayMs: 1 } });
    workers.push(strict);
    const ready = await strict.ready;
    assert.equal(ready.error?.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
    assert.match(ready.error!.message, /allowDifferentArgs: leader true, follower false/);
  });

  it('a channel the leader process does not have: ready() rejects at once with ChannelUnavailableError naming the leader and its names', async () => {
    const w = await follower({ name: 'ghost', options: { maxWaitTime: MAX_WAIT } });
    const started = Date.now();
    const ready = await w.ready;
    const elapsed = Date.now() - started;
    assert.equal(ready.ok, false);
    assert.equal(ready.error!.code, 'ERR_ONELINK_CHANNEL_UNAVAILABLE');
    assert.equal(ready.error!.name, 'ChannelUnavailableError');
    assert.match(ready.error!.message, new RegExp(`leader of 127\\.0\\.0\\.1:${port} \\(pid ${leader.pid}\\) has no client named "ghost" \\(it has "echo"\\)`));
    assert.match(ready.error!.message, /give each application its own port or name/);
    // The leader created its clients long ago: no grace, no maxWaitTime.
    assert.ok(elapsed < MAX_WAIT / 3, `took ${elapsed} ms`);
    console.log(`      ChannelUnavailableError ${elapsed} ms after the follower was created (maxWaitTime ${MAX_WAIT} ms)`);
  });

  it('at start-up, a client the leader process creates a moment after the follower connected is waited for', async () => {
    const startupPort = await freePort();
    // As egg's agent and its workers: they start together, and the leader creates its clients one after another.
    const [first, late] = await Promise.all([
      WorkerProcess.start({ port: startupPort, options: { isLeader: true, maxWaitTime: MAX_WAIT } }),
      WorkerProcess.start({ port: startupPort, name: 'late', options: { isLeader: false, maxWaitTime: MAX_WAIT } }),
    ]);
    workers.push(first, late);
    assert.deepEqual(await first.ready, { ok: true, leader: true });
    await new Promise((resolve) => setTimeout(resolve, 500));
    await first.call('client', { op: 'create', config: { id: 'late', port: startupPort, name: 'late', options: { isLeader: true } } });
    assert.deepEqual(await late.ready, { ok: true, leader: false });
    assert.equal(await late.invoke('pid'), first.pid);
  });

  it('the leader still serves a matching follower, and made one DataClient only', async () => {
    const w = await follower({});
    assert.deepEqual(await w.ready, { ok: true, leader: false });
    assert.equal(await w.invoke('pid'), leader.pid);
    assert.equal(await w.invoke('instanceCount'), 1);
  });
});
