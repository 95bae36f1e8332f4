// What cluster-client 3.7 does, and egg relies on, in real processes: isLeader true and false in one
// process, publications made before ready, subscribeTimeout, who reports isClusterClientLeader, and
// what invokeOneway and unSubscribe return.
import assert from 'node:assert/strict';
import { cluster } from '../../lib/index.js';
import { EchoClient } from '../fixtures/echo-client.js';
import type { TypedResult } from '../fixtures/extra-clients.js';
import { killAll, WorkerProcess, type WorkerConfig } from '../support/processes.js';
import { freePort } from '../support/servers.js';
import { createClient, delay, onClient, silentLogger, waitFor } from './helpers.js';

async function started(config: WorkerConfig): Promise<WorkerProcess> {
  const worker = await WorkerProcess.start(config);
  const ready = await worker.ready;
  if (!ready.ok) throw new Error(`worker ${worker.pid} failed: ${ready.error?.message}`);
  return worker;
}

describe('cluster-client 3.7 behaviours egg relies on', () => {
  let workers: WorkerProcess[] = [];
  afterEach(async () => {
    await killAll(workers);
    workers = [];
  });

  describe('isLeader true and false in one process (egg-mock, egg.start())', () => {
    it('serves the isLeader: false client from the DataClient of the leading one, in the process; one client of the name reports leader', async () => {
      const port = await freePort();
      const agent = await started({ port, options: { isLeader: true } });
      workers.push(agent);
      assert.equal(await agent.call('isLeader'), true);
      assert.deepEqual(await createClient(agent, { id: 'app', port, options: { isLeader: false } }), { leader: false });
      assert.deepEqual(await createClient(agent, { id: 'third', port }), { leader: false });

      // The same DataClient, the same answers as a call of the leading client.
      assert.equal(await onClient(agent, 'app', 'invoke', { method: 'pid' }), agent.pid);
      assert.equal(await onClient(agent, 'app', 'invoke', { method: 'instanceCount' }), 1);
      const args = [{ at: new Date(0), bytes: Buffer.from('ab'), nothing: null }];
      assert.deepEqual((await onClient<TypedResult>(agent, 'app', 'invokeTyped', { method: 'echo', args })).value, await agent.invoke('echo', ...args));
      assert.equal(await onClient(agent, 'app', 'invoke', { method: 'increment' }), 1);
      assert.equal(await agent.invoke('increment'), 2);

      // Exactly one client of the name reports leader on the machine: the other process's is a follower.
      const other = await started({ port });
      workers.push(other);
      assert.equal(await other.call('isLeader'), false);
      assert.equal(await other.invoke('pid'), agent.pid);
      assert.deepEqual(await Promise.all(['app', 'third'].map((id) => onClient(agent, id, 'isLeader'))), [false, false]);
      assert.equal(await agent.call('isLeader'), true);
    });

    it('refuses an isLeader: true client in a process that follows: the port is led elsewhere', async () => {
      const port = await freePort();
      const agent = await started({ port, options: { isLeader: true } });
      const app = await started({ port, options: { isLeader: false } });
      workers.push(agent, app);
      await assert.rejects(createClient(app, { id: 'lead', port, name: 'other', options: { isLeader: true } }), {
        name: 'OptionsMismatchError',
        message: /asks isLeader true on port \d+, where this process does not lead/,
      });
    });

    it('singleMode ignores isLeader: one DataClient per name, and every client reports leader', async () => {
      const options = { name: 'compat-single', singleMode: true, port: 7777, logger: silentLogger };
      const agentClient = cluster(EchoClient, { ...options, isLeader: true }).create({});
      const appClient = cluster(EchoClient, { ...options, isLeader: false }).create({});
      try {
        await Promise.all([agentClient.ready(), appClient.ready()]);
        assert.equal(agentClient.isClusterClientLeader, true);
        assert.equal(appClient.isClusterClientLeader, true);
        assert.equal(await appClient.increment(), 1);
        assert.equal(await agentClient.increment(), 2);
      } finally {
        await Promise.all([appClient.close(), agentClient.close()]);
      }
    });
  });

  it('a publication made before ready runs once on the leader, and once on the next leader after a kill -9', async () => {
    const port = await freePort();
    const leader = await started({ port, options: { isLeader: true }, publishFirst: { key: 'news', from: 'leader' } });
    workers.push(leader);
    const followers = await Promise.all(['f1', 'f2'].map((from) => started({ port, publishFirst: { key: 'news', from } })));
    workers.push(...followers);
    const expectRuns = async (on: WorkerProcess, froms: string[]) => {
      await waitFor(`${froms.length} publications`, async () => (await on.invoke<unknown[]>('publications')).length >= froms.length, 10000);
      await delay(300); // a second run would come now
      const runs: Array<{ from: string }> = await on.invoke('publications');
      assert.deepEqual(runs.map((reg) => reg.from).sort(), froms);
    };
    await expectRuns(leader, ['f1', 'f2', 'leader']);

    await leader.kill('SIGKILL');
    const next = await waitFor('a new leader', async () => {
      const flags = await Promise.all(followers.map((f) => f.call<boolean>('isLeader')));
      return followers.find((_, i) => flags[i]);
    }, 15000);
    await expectRuns(next, ['f1', 'f2']);
  });

  it('subscribeTimeout: a follower’s client emits cluster-client’s error once per subscribe(), and still gets the value later', async () => {
    const port = await freePort();
    const leader = await started({ port, options: { isLeader: true } });
    workers.push(leader);
    const follower = await started({ port, options: { subscribeTimeout: 200 } });
    workers.push(follower);
    // A client with no 'error' listener: sdk-base logs the error, the process lives on.
    await createClient(leader, { id: 'quiet', port, name: 'echo-quiet' });
    await createClient(follower, { id: 'quiet', port, name: 'echo-quiet', options: { subscribeTimeout: 200 } });
    await onClient(follower, 'quiet', 'subscribe', { reg: { key: 'late' }, tag: 'quiet' });

    await follower.call('subscribe', { reg: { key: 'soon' }, tag: 'soon' });
    await leader.invoke('trigger', 'soon', 'now');
    await follower.call('subscribe', { reg: { key: 'late' }, tag: 'late' });
    const errors = () => follower.events.filter((e) => e.event === 'error').map((e) => e.value as string);
    await waitFor('the subscribe timeout', () => errors().length > 0, 5000);
    await delay(600);
    assert.equal(errors().length, 1, `one error per subscription: ${errors().join('; ')}`);
    assert.match(errors()[0], /^subscribe timeout for \$\$inner\$\$__\{"key":"late"\}, cost: \d+ms, expect is 200ms$/);

    await leader.invoke('trigger', 'late', 'finally');
    assert.deepEqual(await follower.waitForValues('late', 1), ['finally']);
    assert.equal(await follower.call('isLeader'), false, 'the process with the quiet client still answers');
  });

  it('the leader’s own subscriptions arm no subscribeTimeout, as in cluster-client', async () => {
    const port = await freePort();
    const leader = await started({ port, options: { isLeader: true, subscribeTimeout: 100 } });
    workers.push(leader);
    await leader.call('subscribe', { reg: { key: 'quiet' }, tag: 'quiet' });
    await delay(400);
    assert.deepEqual(leader.events.filter((e) => e.event === 'error'), []);
  });

  it('invokeOneway and unSubscribe return undefined, as cluster-client’s', async () => {
    const client = cluster(EchoClient, { name: 'compat-returns', singleMode: true, logger: silentLogger }).delegate('noop', 'invokeOneway').create({});
    try {
      await client.ready();
      const noops = new Promise((resolve) => client.once('noop', resolve));
      assert.equal(client.noop('x'), undefined);
      assert.equal(await noops, 'x');
      assert.equal(client.unSubscribe({ key: 'k' }), undefined);
    } finally {
      await client.close();
    }
  });
});
