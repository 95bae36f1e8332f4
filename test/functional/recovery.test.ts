// Failures the core recovers from: a failed upstream subscribe, a slow DataClient start seen by a
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// follower, an exportState that throws during a graceful close, a value object changed between pushes,
// a channel closed by its follower while its OPEN waited.
import assert from 'node:assert/strict';
import { cluster } from '../../lib/index.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, WorkerProcess, type ReadyResult } from '../support/processes.js';
import { portIsFree } from './helpers.js';

const quiet = { info() {}, warn() {}, error() {} };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('recovery', () => {
  it('subscribes upstream again for the next subscriber when the first upstream subscribe failed', async () => {
    class FlakyFeed {
      static upstreamCalls = 0;
      listener: ((value: unknown) => void) | null = null;
      async subscribe(_reg: { key: string }, listener: (value: unknown) => void) {
        if (++FlakyFeed.upstreamCalls === 1) throw new Error('upstream refused the subscription');
        this.listener = listener;
      }
      async push(value: unknown) {
        this.listener?.(value);
      }
    }
    const client = cluster(FlakyFeed, { name: 'flaky-feed', singleMode: true, logger: quiet }).create();
    try {
      await client.ready();
      const got: unknown[] = [];
      client.subscribe({ key: 'k' }, () => undefined); // its upstream subscribe fails
      await sleep(20);
      client.subscribe({ key: 'k' }, (value) => got.push(value));
      await sleep(20);
      assert.equal(FlakyFeed.upstreamCalls, 2);
      await client.push('after');
      assert.deepEqual(got, ['after']);
    } finally {
      await client.close();
    }
  });

  it('serves a second client with isLeader: false on a port this process leads, from this process, as cluster-client does', async () => {
    const port = await freePort();
    class Plain {
      async x() {
        return process.pid;
      }
    }
    const first = cluster(Plain, { name: 'first', port, logger: quiet }).create();
    try {
      await first.ready();
      const second = cluster(Plain, { name: 'second', port, isLeader: false, logger: quiet }).create();
      await second.ready();
      assert.equal(await second.x(), process.pid);
      assert.equal(second.isClusterClientLeader, false);
      await second.close();
    } finally {
      await first.close();
    }
  });

  it('releases the port on close even when exportState throws', async () => {
    const port = await freePort();
    class BadExport {
      async x() {}
      exportState(): unknown {
        throw new Error('cannot export');
      }
      importState() {}
    }
    const client = cluster(BadExport, { name: 'bad-export', port, logger: quiet }).create();
    await client.ready();
    assert.equal(await portIsFree(port), false);
    await client.close();
    assert.equal(await portIsFree(port), true);
  });

  describe('with real processes', () => {
    let workers: WorkerProcess[] = [];
    afterEach(() => killAll(workers));

    it('a follower whose OPEN timed out while the DataClient was starting opens it again on the next call', async () => {
      const port = await freePort();
      // The leader's DataClient starts only once the file exists: the follower's OPEN surely waits.
      const started = join(mkdtempSync(join(tmpdir(), 'onelink-init-')), 'started');
      const clientOptions = { initUntilFile: started };
      const leader = await WorkerProcess.start({ port, clientOptions });
      workers.push(leader);
      await sleep(300); // the leader holds the port before the follower starts
      const follower = await WorkerProcess.start({ port, options: { maxWaitTime: 500, responseTimeout: 500 }, clientOptions });
      workers.push(follower);
      const ready: ReadyResult = await follower.ready;
      assert.equal(ready.ok, false);
      assert.equal(ready.error?.code, 'ERR_ONELINK_RESPONSE_TIMEOUT');
      writeFileSync(started, '');
      assert.equal((await leader.ready).ok, true);
      let servedBy: number | undefined;
      for (const until = Date.now() + 10000; servedBy === undefined && Date.now() < until; await sleep(300)) {
        servedBy = await follower.invoke<number>('pid').catch(() => undefined);
      }
      assert.equal(servedBy, leader.pid);
    });

    it('times a call out after its own client\'s responseTimeout, shorter than that of the port\'s first client', async () => {
      const port = await freePort();
      const leader = await WorkerProcess.start({ port });
      workers.push(leader);
      await leader.ready;
      await leader.call('client', { op: 'create', config: { id: 'short', port, name: 'short-channel' } });
      const follower = await WorkerProcess.start({ port, options: { responseTimeout: 30_000 } });
      workers.push(follower);
      await follower.ready;
      await follower.call('client', { op: 'create', config: { id: 'short', port, name: 'short-channel', options: { responseTimeout: 200 } } });
      const started = Date.now();
      await assert.rejects(follower.call('client', { op: 'invoke', client: 'short', method: 'slow', args: [3000] }), { code: 'ERR_ONELINK_RESPONSE_TIMEOUT' });
      const elapsed = Date.now() - started;
      // A sweep timed for the 30 s client would only notice after about a second.
      assert.ok(elapsed < 800, `timed out after ${elapsed} ms`);
    });

    it('closes a DataClient whose only follower closed its channel while the OPEN waited for it to start', async () => {
      const port = await freePort();
      const leader = await WorkerProcess.start({ port });
      workers.push(leader);
      await leader.ready;
      const follower = await WorkerProcess.start({ port });
      workers.push(follower);
      await follower.ready;
      const slow = { id: 'slow', port, name: 'slow-channel', clientOptions: { initDelayMs: 600 } };
      const leaderSide = leader.call('client', { op: 'create', config: slow });
      await sleep(50);
      // The follower's OPEN waits for the slow start; its CLOSE arrives before the OPEN is answered.
      const followerSide = follower.call('client', { op: 'create', config: slow }).catch((err: Error) => err);
      await follower.call('client', { op: 'close', client: 'slow' });
      await leaderSide;
      await followerSide;
      await sleep(200);
      await leader.call('client', { op: 'close', client: 'slow' });
      await leader.call('client', { op: 'create', config: { id: 'probe', port, name: 'probe-channel', delegates: { openInstanceCount: 'invoke' } } });
      let open = -1;
      for (const until = Date.now() + 2000; open !== 2 && Date.now() < until; await sleep(50)) {
        open = await leader.call<number>('client', { op: 'invoke', client: 'probe', method: 'openInstanceCount' });
      }
      assert.equal(open, 2, 'the worker\'s own DataClient and the probe\'s are open; slow-channel\'s is closed');
    });

    it('sends followers each push of an object as it was then, even when it changes in between', async () => {
      const port = await freePort();
      workers = [await WorkerProcess.start({ port })];
      await workers[0].ready;
      workers.push(await WorkerProcess.start({ port }));
      await workers[1].ready;
      const leader = await leaderOf(workers);
      const follower = workers.find((w) => w !== leader)!;
      await follower.call('subscribe', { reg: { key: 'mutated' }, tag: 'm' });
      await sleep(100);
      await leader.invoke('triggerMutated', 'mutated');
      assert.deepEqual(await follower.waitForValues('m', 2), [{ v: 1 }, { v: 2 }]);
    });
  });
});
