// Two "machines" = two onelink groups on different ports sharing one real redis-server.
// Every member is a real process; servers die by SIGKILL.
import assert from 'node:assert/strict';
import type { ServerRecord } from '../../lib/registry/index.js';
import { freePort, RedisServer, requireBinary } from '../support/servers.js';
import { RegistryProcess, type ProcessConfig } from './fixtures/process-handle.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(25);
  }
}

const ids = (servers: { id: string }[]) => servers.map((s) => s.id).sort().join(',');

describe('registry across two machines sharing Redis (real processes)', function () {
  this.timeout(40_000);
  let redis: RedisServer;
  const processes: RegistryProcess[] = [];
  const namespace = `two-machines-${process.pid}:`;
  let machineA: number;
  let machineB: number;

  async function spawn(config: Omit<ProcessConfig, 'redisUrl' | 'namespace'>): Promise<RegistryProcess> {
    const p = new RegistryProcess({ redisUrl: redis.url, namespace, watch: true, ...config });
    processes.push(p);
    await p.started;
    return p;
  }

  before(async function () {
    requireBinary(this, 'redis-server');
    redis = await new RedisServer().start();
    [machineA, machineB] = [await freePort(), await freePort()];
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.dispose();
  });

  // Default interval/latency: the "within 3 s" promise is about the defaults.
  let leaderA: RegistryProcess, workerA: RegistryProcess, leaderB: RegistryProcess, workerB: RegistryProcess;

  it('registrations from both machines are seen by both', async () => {
    leaderA = await spawn({ clusterPort: machineA, register: { id: 'a-leader', type: 'web' } });
    workerA = await spawn({ clusterPort: machineA, register: { id: 'a-worker', type: 'web' } });
    leaderB = await spawn({ clusterPort: machineB, register: { id: 'b-leader', type: 'web' } });
    workerB = await spawn({ clusterPort: machineB });
    assert.deepEqual(await Promise.all([leaderA, workerA, leaderB, workerB].map((p) => p.call('isLeader'))), [true, false, true, false]);
    for (const p of [leaderA, workerA, leaderB, workerB]) assert.equal(ids(await p.call<ServerRecord[]>('servers', 'web')), 'a-leader,a-worker,b-leader');
  });

  it('costs each machine 2 Redis connections and 1 watch subscription, whatever its number of processes', async () => {
    const clients = (await redis.cli('CLIENT', 'LIST')).split('\n').filter((line) => /name=onelink-registry/.test(line));
    assert.equal(clients.length, 4, clients.join('\n'));
    assert.equal(clients.filter((l) => /name=onelink-registry-sub/.test(l)).length, 2, 'one subscriber connection per machine');
    // Each subscriber connection holds the events channel plus one forward channel per server of its machine.
    const subscriptions = clients.filter((l) => /name=onelink-registry-sub/.test(l)).map((l) => Number(/ sub=(\d+)/.exec(l)![1])).sort();
    assert.deepEqual(subscriptions, [2, 3], 'machine B: events + b-leader; machine A: events + a-leader + a-worker');
    console.log(`      per machine: ${clients.length / 2} Redis connections; subscriptions: ${subscriptions.join(' and ')} (1 watch channel + 1 per local server) for 2 processes each`);
  });

  it('delivers each watch event once to every process of both machines', async () => {
    const everyone = [leaderA, workerA, leaderB, workerB];
    const before = everyone.map((p) => p.events.length);
    await workerB.call('register', { id: 'b-extra', type: 'web', address: '127.0.0.1:1' });
    await until('event everywhere', () => everyone.every((p) => p.events.some((e) => e.id === 'b-extra')), 3000);
    await sleep(300);
    everyone.forEach((p, i) => assert.deepEqual(p.events.slice(before[i]), [{ type: 'added', id: 'b-extra' }]));
    await workerB.call('deregister', 'b-extra');
    await until('removed everywhere', () => everyone.every((p) => p.events.some((e) => e.id === 'b-extra' && e.type === 'removed')), 3000);
  });

  it('forwards from one machine to a server of the other', async () => {
    const result = await workerB.call('forward.server', 'a-worker', { hello: 'from b' });
    assert.deepEqual(result, { reached: ['a-worker'], unreached: [] });
    await until('message received', () => workerA.messages.length === 1, 3000);
    assert.deepEqual(workerA.messages[0].message, { hello: 'from b' });
    await leaderB.call('bind', 'conn-1', 'a-worker');
    const toConns = await workerB.call('forward.connections', ['conn-1', 'conn-x'], 'hi');
    assert.deepEqual(toConns, { reached: ['conn-1'], unreached: ['conn-x'] });
    await until('connection message', () => workerA.messages.length === 2, 3000);
    assert.deepEqual(workerA.messages[1].connections, ['conn-1']);
  });

  it('kill -9 of a registered follower: gone from the other machine within 3 s, connections unbound', async () => {
    await leaderB.call('bind', 'conn-2', 'a-worker');
    assert.equal(await workerB.call('lookup', 'conn-2'), 'a-worker');
    const removedBefore = leaderB.events.filter((e) => e.type === 'removed' && e.id === 'a-worker').length;
    await workerA.kill9();
    const goneMs = await until('a-worker gone on machine B', async () => !(await workerB.call<ServerRecord[]>('servers')).some((s: { id: string }) => s.id === 'a-worker'), 3000);
    const unboundMs = await until('connections unbound', async () => (await workerB.call('lookup', 'conn-2')) === null && (await workerB.call('lookup', 'conn-1')) === null, 3500);
    console.log(`      failure detection: gone from servers() after ${goneMs} ms, swept (connections unbound) after ${goneMs + unboundMs} ms`);
    await until('removed event', () => leaderB.events.filter((e) => e.type === 'removed' && e.id === 'a-worker').length === removedBefore + 1, 2000);
    assert.equal(ids(await leaderA.call<ServerRecord[]>('servers', 'web')), 'a-leader,b-leader');
  });

  it('kill -9 of a machine leader: its server goes, the survivors keep theirs through the new leader', async () => {
    const workerA2 = await spawn({ clusterPort: machineA, register: { id: 'a-worker-2', type: 'web' } });
    await leaderA.kill9();
    const goneMs = await until('a-leader gone on machine B', async () => !(await leaderB.call<ServerRecord[]>('servers')).some((s: { id: string }) => s.id === 'a-leader'), 3000);
    console.log(`      leader death: its server gone from the other machine after ${goneMs} ms`);
    await until('a-worker-2 leads machine A', async () => (await workerA2.call('isLeader')) === true, 10_000);
    await sleep(2500); // longer than the alive TTL: a-worker-2 must have been refreshed through its new leader
    assert.equal(ids(await leaderB.call<ServerRecord[]>('servers', 'web')), 'a-worker-2,b-leader');
  });

  it('restores every live registration within about one interval after a Redis restart', async () => {
    const expected = ids(await leaderB.call<ServerRecord[]>('servers', 'web'));
    await redis.restart(); // not persistent: the restarted Redis is empty
    const restoredMs = await until('registrations restored', async () => {
      try { return ids(await leaderB.call<ServerRecord[]>('servers', 'web')) === expected; } catch { return false; }
    }, 5000);
    console.log(`      Redis restart: registrations back ${restoredMs} ms after the new redis-server accepted connections`);
    assert.ok(restoredMs <= 2000, `restored after ${restoredMs} ms`);
  });
});
