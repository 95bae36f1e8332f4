// subscribe / unSubscribe / publish across 3 real processes: one upstream subscription per key,
// values to every subscriber (or to exactly one with isBroadcast: false), late subscribers.
import assert from 'node:assert/strict';
import { createEchoClient } from '../fixtures/extra-clients.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { freePort } from '../support/servers.js';
import { createClient, delay, onClient, waitFor } from './helpers.js';

/**
 * A call after subscribe/unsubscribe on the same client: frames of one link are served in order,
 * so once it is answered the leader has registered (or dropped) the subscription.
 */
async function settled(worker: WorkerProcess, client?: string): Promise<void> {
  if (client) await onClient(worker, client, 'invoke', { method: 'pid' });
  else await worker.invoke('pid');
}

describe('subscriptions across 3 processes', function () {
  this.timeout(30000);
  let workers: WorkerProcess[] = [];
  let port: number;
  let leader: WorkerProcess;
  let followers: WorkerProcess[];

  before(async () => {
    port = await freePort();
    workers = await startWorkers(3, { port });
    leader = await leaderOf(workers);
    followers = workers.filter((w) => w !== leader);
  });
  after(() => killAll(workers));

  it('subscribes upstream once per key and broadcasts every value to every process', async () => {
    // The same registration with its properties in another order is the same key.
    const regs = [{ key: 'k1', opts: { a: 1, b: [2] } }, { opts: { b: [2], a: 1 }, key: 'k1' }, { key: 'k1', opts: { a: 1, b: [2] } }];
    await Promise.all(workers.map((w, i) => w.call('subscribe', { tag: 'k1', reg: regs[i] })));
    await Promise.all(workers.map((w) => settled(w)));
    assert.equal(await leader.invoke('upstreamSubscriptions', 'k1'), 1);

    for (const value of ['v1', { n: 2, when: new Date(2000) }, 'v3']) assert.equal(await followers[0].invoke('trigger', 'k1', value), 1);
    for (const w of workers) {
      const values = await w.waitForValues('k1', 3);
      assert.deepEqual(values, ['v1', { n: 2, when: new Date(2000) }, 'v3'], `values in ${w === leader ? 'the leader' : 'a follower'}`);
    }
    assert.equal(await leader.invoke('upstreamSubscriptions', 'k1'), 1);
  });

  it('gives a late subscriber the last value at once, in a follower and in the leader', async () => {
    await followers[1].call('subscribe', { tag: 'k1-late-follower', reg: { key: 'k1', opts: { a: 1, b: [2] } } });
    assert.deepEqual(await followers[1].waitForValues('k1-late-follower', 1), ['v3']);
    await leader.call('subscribe', { tag: 'k1-late-leader', reg: { key: 'k1', opts: { a: 1, b: [2] } } });
    assert.deepEqual(await leader.waitForValues('k1-late-leader', 1), ['v3']);
    assert.equal(await leader.invoke('upstreamSubscriptions', 'k1'), 1);
  });

  it('stops delivering to a follower that unsubscribed, and only to it', async () => {
    const reg = { key: 'k1', opts: { a: 1, b: [2] } };
    const leaving = followers[0];
    await leaving.call('unsubscribe', { reg });
    await settled(leaving);
    const before = (leaving.values.get('k1') ?? []).length;
    await leader.invoke('trigger', 'k1', 'v4');
    assert.equal((await followers[1].waitForValues('k1', 4))[3], 'v4');
    assert.equal((await leader.waitForValues('k1', 4))[3], 'v4');
    // A push for it would have arrived before the answer to this later call.
    await settled(leaving);
    assert.equal((leaving.values.get('k1') ?? []).length, before);
    assert.equal(await leader.invoke('upstreamSubscriptions', 'k1'), 1, 'other subscribers keep the upstream subscription');
  });

  it('with isBroadcast: false delivers each value to exactly one subscriber', async () => {
    await createClient(leader, { id: 'nb', port, name: 'echo-unicast', options: { isBroadcast: false } });
    await Promise.all(followers.map((w) => createClient(w, { id: 'nb', port, name: 'echo-unicast', options: { isBroadcast: false } })));
    for (const w of workers) await onClient(w, 'nb', 'subscribe', { tag: 'unicast', reg: { key: 'jobs' } });
    await Promise.all(workers.map((w) => settled(w, 'nb')));
    assert.equal(await onClient(leader, 'nb', 'invoke', { method: 'upstreamSubscriptions', args: ['jobs'] }), 1);

    const count = 30;
    for (let i = 0; i < count; i++) await onClient(followers[1], 'nb', 'invoke', { method: 'trigger', args: ['jobs', i] });
    const received = () => workers.flatMap((w) => (w.values.get('unicast') ?? []) as number[]);
    await waitFor(`${count} values`, () => received().length >= count);
    await Promise.all(workers.map((w) => settled(w, 'nb')));
    const all = received();
    assert.equal(all.length, count, `received ${JSON.stringify(all)}`);
    assert.deepEqual([...all].sort((a, b) => a - b), Array.from({ length: count }, (_, i) => i));
  });

  it('forwards publish to the leader’s DataClient, from a follower and from the leader', async () => {
    await followers[1].call('publish', { reg: { topic: 'from-follower', at: 1 } });
    await leader.call('publish', { reg: { topic: 'from-leader' } });
    const publications = await followers[0].invoke('publications');
    assert.deepEqual(publications, [{ topic: 'from-follower', at: 1 }, { topic: 'from-leader' }]);
  });
});

describe('unSubscribe within one process', () => {
  const clients: Array<{ close(): Promise<void> }> = [];
  after(() => Promise.all(clients.map((c) => c.close())));

  it('removes one listener when given one, and every listener of that client when not', async () => {
    const port = await freePort();
    const first = createEchoClient({ port, name: 'unsubscribe' });
    const second = createEchoClient({ port, name: 'unsubscribe' });
    clients.push(first, second);
    await Promise.all([first.ready(), second.ready()]);
    assert.equal(first.isClusterClientLeader, true);

    const got: Record<string, unknown[]> = { a: [], b: [], c: [] };
    const listener = (name: string) => (value: unknown) => got[name].push(value);
    const a = listener('a');
    const reg = { key: 'u' };
    first.subscribe(reg, a).subscribe(reg, listener('b'));
    second.subscribe(reg, listener('c'));
    assert.equal(await first.upstreamSubscriptions('u'), 1);

    await first.trigger('u', 1);
    first.unSubscribe(reg, a);
    await first.trigger('u', 2);
    first.unSubscribe(reg);
    await first.trigger('u', 3);
    assert.deepEqual(got, { a: [1], b: [1, 2], c: [1, 2, 3] });
    assert.equal(await first.upstreamSubscriptions('u'), 1, 'the other client still subscribes');

    second.unSubscribe(reg);
    await delay(10);
    assert.equal(await first.upstreamSubscriptions('u'), 0, 'the last unSubscribe reaches the DataClient');
  });
});
