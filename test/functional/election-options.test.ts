// Options that decide who leads: isLeader true/false, singleMode (option and env), and several
// client names sharing one port. Clients in this test process are real peers of the workers.
import assert from 'node:assert/strict';
import { cluster, NoLeaderError, NotLeaderError } from '../../lib/index.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { createEchoClient } from '../fixtures/extra-clients.js';
import { killAll, leaderOf, startWorkers, WorkerProcess } from '../support/processes.js';
import { rejectionOf } from '../support/rejections.js';
import { freePort } from '../support/servers.js';
import { createClient, delay, onClient, portIsFree, silentLogger } from './helpers.js';

/** Settles to 'pending' if the promise has not settled within ms. */
function stateAfter(promise: Promise<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'pending'> {
  return Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), delay(ms).then(() => 'pending' as const)]);
}

describe('election options', function () {
  this.timeout(30000);
  let workers: WorkerProcess[] = [];
  let port: number;
  const closeLater: Array<{ close(): Promise<void> }> = [];

  before(async () => {
    port = await freePort();
    workers = await startWorkers(2, { port });
  });
  afterEach(async () => {
    await Promise.all(closeLater.splice(0).map((c) => c.close()));
  });
  after(() => killAll(workers));

  describe('isLeader', () => {
    it('true on a free port: this process leads', async () => {
      const free = await freePort();
      const client = createEchoClient({ port: free, options: { isLeader: true } });
      closeLater.push(client);
      await client.ready();
      assert.equal(client.isClusterClientLeader, true);
      assert.equal(await client.pid(), process.pid);
      assert.equal(await portIsFree(free), false);
    });

    it('true while another process holds the port: ready() rejects with NotLeaderError', async () => {
      const client = createEchoClient({ port, options: { isLeader: true } });
      closeLater.push(client);
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof NotLeaderError, String(err));
      assert.equal(err.code, 'ERR_ONELINK_NOT_LEADER');
      assert.match(err.message, new RegExp(String(port)));
      assert.equal(client.isClusterClientLeader, false);
      const holder = await leaderOf(workers);
      assert.equal(await workers.find((w) => w !== holder)!.invoke('pid'), holder.pid, 'the leader is unaffected');
    });

    it('false waits for a leader and follows the first process that leads', async () => {
      const later = await freePort();
      const constructed = EchoClient.instances;
      const client = createEchoClient({ port: later, options: { isLeader: false } });
      closeLater.push(client);
      const ready = client.ready();
      assert.equal(await stateAfter(ready, 300), 'pending');
      assert.equal(await portIsFree(later), true, 'isLeader: false never takes the port');
      const leader = await WorkerProcess.start({ port: later });
      workers.push(leader);
      assert.deepEqual(await leader.ready, { ok: true, leader: true });
      await ready;
      assert.equal(client.isClusterClientLeader, false);
      assert.equal(await client.pid(), leader.pid);
      assert.equal(EchoClient.instances, constructed, 'a follower does not construct the DataClient');
    });

    it('false fails with NoLeaderError after maxWaitTime when no leader comes', async () => {
      const nobody = await freePort();
      const client = createEchoClient({ port: nobody, options: { isLeader: false, maxWaitTime: 400 } });
      closeLater.push(client);
      const started = Date.now();
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof NoLeaderError, String(err));
      assert.equal(err.code, 'ERR_ONELINK_NO_LEADER');
      assert.ok(Date.now() - started >= 350, `failed after ${Date.now() - started} ms, before maxWaitTime`);
      await assert.rejects(client.echo(1), { code: 'ERR_ONELINK_NO_LEADER' });
      assert.equal(await portIsFree(nobody), true);
    });
  });

  describe('singleMode', () => {
    /** Every EchoClient this class constructs, to see which one a call reaches and whether it was closed. */
    class TrackedEcho extends EchoClient {
      static created: TrackedEcho[] = [];
      constructor(...args: ConstructorParameters<typeof EchoClient>) {
        super(...args);
        TrackedEcho.created.push(this);
      }
    }

    async function assertSharedAndRefCounted(create: () => ReturnType<typeof createTracked>, singlePort: number): Promise<void> {
      TrackedEcho.created = [];
      const a = create();
      const b = create();
      await Promise.all([a.ready(), b.ready()]);
      assert.equal(TrackedEcho.created.length, 1, 'one DataClient for both clients');
      assert.equal(a.isClusterClientLeader, true);
      assert.equal(await a.increment(), 1);
      assert.equal(await b.increment(), 2);
      assert.equal(await portIsFree(singlePort), true, 'nothing listens on the port');
      await a.close();
      assert.equal(TrackedEcho.created[0].closed, false, 'still used by the other client');
      assert.equal(await b.increment(), 3);
      await assert.rejects(a.increment(), { code: 'ERR_ONELINK_CLIENT_CLOSED' });
      await b.close();
      assert.equal(TrackedEcho.created[0].closed, true, 'closed with its last client');
    }

    function createTracked(singlePort: number, singleMode?: boolean) {
      return cluster(TrackedEcho, { name: 'single', port: singlePort, singleMode, logger: silentLogger }).create();
    }

    it('with the option: clients of one name in one process share one DataClient, reference-counted, no port', async () => {
      const singlePort = await freePort();
      await assertSharedAndRefCounted(() => createTracked(singlePort, true), singlePort);
    });

    it('with NODE_CLUSTER_CLIENT_SINGLE_MODE=1: the same', async () => {
      const singlePort = await freePort();
      const saved = process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE;
      process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE = '1';
      try {
        await assertSharedAndRefCounted(() => createTracked(singlePort), singlePort);
      } finally {
        if (saved === undefined) delete process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE;
        else process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE = saved;
      }
    });
  });

  describe('several client names on one port', () => {
    it('gives each name its own channel and its own DataClient in the leader', async () => {
      const leader = await leaderOf(workers.slice(0, 2));
      const follower = workers.slice(0, 2).find((w) => w !== leader)!;
      for (const w of [leader, follower]) assert.deepEqual(await createClient(w, { id: 'second', port, name: 'second-name' }), { leader: w === leader });

      assert.equal(await onClient(follower, 'second', 'invoke', { method: 'pid' }), leader.pid);
      const first = [await follower.invoke('increment'), await follower.invoke('increment'), await leader.invoke('increment')];
      const second = [await onClient(follower, 'second', 'invoke', { method: 'increment' }), await onClient(leader, 'second', 'invoke', { method: 'increment' })];
      assert.deepEqual(first, [1, 2, 3]);
      assert.deepEqual(second, [1, 2]);
      assert.equal(await leader.invoke('instanceCount'), 2, 'two DataClients in the leader, one per name');

      // Closing one name leaves the other working.
      await onClient(follower, 'second', 'close');
      assert.equal(await follower.invoke('increment'), 4);
      assert.equal(await onClient(leader, 'second', 'invoke', { method: 'increment' }), 3);
    });
  });
});
