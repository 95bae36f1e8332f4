// The registry DataClient on its own (as a leader holds it), against every backend: memory, a
// single Redis, a three-master Redis Cluster.
import assert from 'node:assert/strict';
import { RegistryClient } from '../../lib/registry/registry-client.js';
import { toServerRecord } from '../../lib/registry/registration.js';
import { UnknownServerError } from '../../lib/registry/errors.js';
import type { RegistryOptions } from '../../lib/registry/options.js';
import type { ForwardedMessage, ServerRecord, WatchEvent } from '../../lib/registry/types.js';
import { LocalRedisCluster } from '../support/redis-cluster.js';
import { freePort, RedisServer, requireBinary } from '../support/servers.js';

const INTERVAL = 200;
const LATENCY = 200;

function record(id: string, type = 'api', extra: Partial<ServerRecord> = {}): ServerRecord {
  return { ...toServerRecord({ id, type, address: `127.0.0.1:${9000 + Number(id.replace(/\D/g, '') || 0)}` }), ...extra };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean> | boolean, withinMs = 3000): Promise<number> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(20);
  }
  return Date.now() - started;
}

function watch(client: RegistryClient): WatchEvent[] {
  const events: WatchEvent[] = [];
  void client.subscribe({ channel: 'watch' }, (e: WatchEvent) => events.push(e));
  return events;
}

const backends: { name: string; options: () => RegistryOptions }[] = [];
let redis: RedisServer | null = null;
let redisCluster: LocalRedisCluster | null = null;
// A fresh namespace per client: on the cluster, successive namespaces hash to slots of different masters.
let namespaceSeq = 0;
backends.push({ name: 'memory', options: () => ({}) });
backends.push({ name: 'redis', options: () => ({ backend: 'redis', redis: { url: redis!.url }, namespace: `t${++namespaceSeq}:` }) });
backends.push({ name: 'redis-cluster', options: () => ({ backend: 'redis', redis: { cluster: { nodes: redisCluster!.nodes } }, namespace: `t${++namespaceSeq}:` }) });

for (const backend of backends) {
  describe(`registry client, ${backend.name} backend`, () => {
    const clients: RegistryClient[] = [];
    async function client(): Promise<RegistryClient> {
      const c = new RegistryClient({ interval: INTERVAL, latency: LATENCY, ...backend.options() });
      clients.push(c);
      await c.ready();
      return c;
    }

    before(async function () {
      if (backend.name === 'memory') return;
      requireBinary(this, 'redis-server');
      this.timeout(30_000);
      if (backend.name === 'redis') redis ??= await new RedisServer().start();
      else if (!redisCluster) {
        redisCluster = new LocalRedisCluster();
        await redisCluster.start();
      }
    });
    afterEach(async () => { await Promise.all(clients.splice(0).map((c) => c.close())); });
    after(async () => {
      await redis?.dispose();
      await redisCluster?.stop();
      redis = redisCluster = null;
    });

    it('registers, lists by type, replaces, deregisters, and announces each change once', async () => {
      const c = await client();
      const events = watch(c);
      await c.register(record('a1'));
      await c.register(record('b1', 'chat', { meta: { zone: 'eu', tags: ['x'] } }));
      assert.deepEqual((await c.servers()).map((s) => s.id), ['a1', 'b1']);
      assert.deepEqual((await c.servers('chat')).map((s) => s.id), ['b1']);
      assert.deepEqual((await c.server('b1'))?.meta, { zone: 'eu', tags: ['x'] });
      await c.register(record('a1', 'api', { weight: 5 }));
      assert.equal((await c.server('a1'))?.weight, 5);
      assert.equal(await c.deregister('a1'), true);
      assert.equal(await c.deregister('a1'), false);
      assert.equal(await c.server('a1'), null);
      await until('events', () => events.length === 4);
      assert.deepEqual(events.map((e) => `${e.type}:${e.server.id}`), ['added:a1', 'added:b1', 'changed:a1', 'removed:a1']);
    });

    it('a server that stops heartbeating leaves servers() after its TTL, and the sweep drops its connections once', async () => {
      const c = await client();
      const events = watch(c);
      const kept = record('k1');
      await c.register(kept);
      await c.register(record('d1'));
      await c.bind('conn-1', 'd1');
      await c.bind('conn-2', 'k1');
      const heartbeat = setInterval(() => void c.heartbeat([kept]), INTERVAL);
      try {
        const gone = await until('d1 gone', async () => !(await c.servers()).some((s) => s.id === 'd1'), 3000);
        assert.ok(gone <= INTERVAL + LATENCY + 300, `gone after ${gone} ms`);
        await until('d1 swept', () => events.some((e) => e.type === 'removed' && e.server.id === 'd1'), 3000);
        assert.deepEqual(await c.lookupMany(['conn-1', 'conn-2']), { 'conn-1': null, 'conn-2': 'k1' });
        await sleep(2 * INTERVAL);
        assert.deepEqual((await c.servers()).map((s) => s.id), ['k1'], 'the heartbeating server stays');
        assert.equal(events.filter((e) => e.type === 'removed').length, 1);
      } finally {
        clearInterval(heartbeat);
      }
    });

    it('heartbeat restores a server the registry lost', async () => {
      const c = await client();
      const r = record('r1');
      assert.deepEqual(await c.heartbeat([r]), ['r1']);
      assert.deepEqual(await c.heartbeat([r]), []);
      assert.equal((await c.server('r1'))?.address, r.address);
    });

    it('maintenance takes a server out of pick() and back, with changed events', async () => {
      const c = await client();
      const events = watch(c);
      await c.register(record('m1'));
      await c.register(record('m2'));
      assert.equal(await c.setMaintenance('m1', true), true);
      assert.equal((await c.server('m1'))?.maintenance, true);
      for (let i = 0; i < 4; i++) assert.equal((await c.pick('api')).id, 'm2');
      await c.register(record('m1'));
      assert.equal((await c.server('m1'))?.maintenance, true, 're-registering keeps maintenance');
      await c.setMaintenance('m1', false);
      const picked = new Set<string>();
      for (let i = 0; i < 4; i++) picked.add((await c.pick('api')).id);
      assert.deepEqual([...picked].sort(), ['m1', 'm2']);
      assert.equal(await c.setMaintenance('nope', true), false);
      await until('changed events', () => events.filter((e) => e.type === 'changed').length >= 3);
      assert.deepEqual(events.filter((e) => e.type === 'changed' && e.server.id === 'm1').map((e) => e.server.maintenance), [true, true, false]);
    });

    it('binds, rebinds, looks up and unbinds connections; binding to an unknown server fails', async () => {
      const c = await client();
      await c.register(record('s1'));
      await c.register(record('s2'));
      await c.bind('c1', 's1');
      await c.bind('c2', 's1');
      await c.bind('c2', 's2');
      assert.equal(await c.lookup('c1'), 's1');
      assert.deepEqual(await c.lookupMany(['c1', 'c2', 'c3']), { c1: 's1', c2: 's2', c3: null });
      assert.equal(await c.unbind('c1'), true);
      assert.equal(await c.unbind('c1'), false);
      assert.equal(await c.lookup('c1'), null);
      await assert.rejects(c.bind('c9', 'ghost'), (err: unknown) => err instanceof UnknownServerError && err.code === 'ERR_ONELINK_REGISTRY_UNKNOWN_SERVER');
      await c.deregister('s2');
      assert.equal(await c.lookup('c2'), null, 'deregistering drops the connections');
    });

    it('forwards to one server, to all, and to connections, saying which targets were reached', async () => {
      const c = await client();
      for (const id of ['f1', 'f2', 'f3']) await c.register(record(id));
      const got: ForwardedMessage[] = [];
      await c.subscribe({ channel: 'forward', serverId: 'f1' }, (m: ForwardedMessage) => got.push(m));
      await c.subscribe({ channel: 'forward', serverId: 'f2' }, (m: ForwardedMessage) => got.push(m));
      await c.bind('u1', 'f1');
      await c.bind('u2', 'f1');
      await c.bind('u3', 'f3');

      assert.deepEqual(await c.forwardServer('f1', { hello: 1, data: Buffer.from([1, 2]) }), { reached: ['f1'], unreached: [] });
      assert.deepEqual(await c.forwardServer('f3', 'x'), { reached: [], unreached: ['f3'] });
      const all = await c.forwardBroadcast('all');
      assert.deepEqual([all.reached.sort(), all.unreached], [['f1', 'f2'], ['f3']]);
      const conns = await c.forwardConnections(['u1', 'u2', 'u3', 'u4'], 'to-conns');
      assert.deepEqual([conns.reached.sort(), conns.unreached.sort()], [['u1', 'u2'], ['u3', 'u4']]);

      await until('messages', () => got.length === 4);
      assert.deepEqual(got[0].message, { hello: 1, data: Buffer.from([1, 2]) });
      assert.deepEqual(got.filter((m) => m.message === 'all').map((m) => m.serverId).sort(), ['f1', 'f2']);
      const toConns = got.find((m) => m.message === 'to-conns')!;
      assert.deepEqual([toConns.serverId, toConns.connections?.sort()], ['f1', ['u1', 'u2']]);

      await c.unSubscribe({ channel: 'forward', serverId: 'f2' });
      assert.deepEqual(await c.forwardServer('f2', 'late'), { reached: [], unreached: ['f2'] });
    });

    if (backend.name === 'redis') it('keeps a server in maintenance when its heartbeat restores it into an emptied Redis', async () => {
      const c = await client();
      await c.register(record('m1'));
      await c.setMaintenance('m1', true);
      await redis!.cli('FLUSHALL');
      assert.deepEqual(await c.heartbeat([{ ...record('m1'), maintenance: true }]), ['m1']);
      assert.equal((await c.server('m1'))?.maintenance, true);
    });

    if (backend.name === 'redis') it('drops messages on its Redis channels that are not its own, and keeps working', async () => {
      const c = await client();
      const events = watch(c);
      const got: ForwardedMessage[] = [];
      await c.register(record('g1'));
      await c.subscribe({ channel: 'forward', serverId: 'g1' }, (m: ForwardedMessage) => got.push(m));
      const ns = `{${c.options.namespace}}`; // channels and keys start with the namespace as a hash tag
      const warnings: unknown[][] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => warnings.push(args);
      try {
        // Were either thrown out of ioredis's message handler, this test process would die.
        assert.equal(await redis!.cli('PUBLISH', `${ns}events`, 'hello'), '1');
        assert.equal(await redis!.cli('PUBLISH', `${ns}forward:g1`, ''), '1'); // an empty body is no msgpack value
        await until('both dropped with a warning', () => warnings.length === 2);
      } finally {
        console.warn = warn;
      }
      assert.match(String(warnings[0][0]), /dropped a message on .*events/);
      await c.register(record('g2'));
      await until('later events still delivered', () => events.some((e) => e.server.id === 'g2'));
      assert.deepEqual(await c.forwardServer('g1', 'after'), { reached: ['g1'], unreached: [] });
      await until('later messages still delivered', () => got.some((m) => m.message === 'after'));
    });
  });
}

describe('registry client, redis backend down at start', () => {
  const late = new RedisServer();
  after(() => late.dispose());

  it('fails ready() with ERR_ONELINK_REGISTRY_UNAVAILABLE within seconds, and starts once Redis is up', async function () {
    requireBinary(this, 'redis-server');
    this.timeout(20_000);
    late.port = await freePort(); // reserved, nothing listens yet
    const c = new RegistryClient({ backend: 'redis', redis: { url: late.url }, namespace: 'late:' });
    try {
      const started = Date.now();
      await assert.rejects(c.ready(), { code: 'ERR_ONELINK_REGISTRY_UNAVAILABLE' });
      assert.ok(Date.now() - started < 10_000, 'not after a minute of ioredis retries');
      await late.start();
      await c.ready();
      await c.register(record('late1'));
      assert.equal((await c.server('late1'))?.id, 'late1');
    } finally {
      await c.close();
    }
  });
});

for (const target of ['redis', 'redis-cluster'] as const) {
  describe(`registry client, ${target} shared by two machines`, () => {
    let server: RedisServer | undefined;
    let cluster: LocalRedisCluster | undefined;
    const clients: RegistryClient[] = [];
    before(async function () {
      requireBinary(this, 'redis-server');
      this.timeout(30_000);
      if (target === 'redis') server = await new RedisServer().start();
      else await (cluster = new LocalRedisCluster()).start();
    });
    after(async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await server?.dispose();
      await cluster?.stop();
    });

    it('two leaders sweeping the same dead servers remove and announce each exactly once', async () => {
      const redisOptions = server ? { url: server.url } : { cluster: { nodes: cluster!.nodes } };
      const options: RegistryOptions = { backend: 'redis', redis: redisOptions, namespace: 'shared:', interval: 100, latency: 100 };
      const [machineA, machineB] = [new RegistryClient(options), new RegistryClient(options)];
      clients.push(machineA, machineB);
      await Promise.all([machineA.ready(), machineB.ready()]);
      const seenByA = watch(machineA);
      const seenByB = watch(machineB);
      for (let i = 0; i < 20; i++) await machineA.register(record(`x${i}`));
      await until('all swept', async () => (await machineB.servers()).length === 0 && seenByB.filter((e) => e.type === 'removed').length === 20);
      await sleep(300);
      for (const seen of [seenByA, seenByB]) {
        const removed = seen.filter((e) => e.type === 'removed').map((e) => e.server.id);
        assert.equal(removed.length, 20);
        assert.equal(new Set(removed).size, 20, 'no server announced twice');
      }
    });

    it('forwards a message registered on one machine to a server of the other', async () => {
      const redisOptions = server ? { url: server.url } : { cluster: { nodes: cluster!.nodes } };
      const options: RegistryOptions = { backend: 'redis', redis: redisOptions, namespace: 'forward:' };
      const [machineA, machineB] = [new RegistryClient(options), new RegistryClient(options)];
      clients.push(machineA, machineB);
      await Promise.all([machineA.ready(), machineB.ready()]);
      const got: ForwardedMessage[] = [];
      await machineA.register(record('f1'));
      await machineA.subscribe({ channel: 'forward', serverId: 'f1' }, (m: ForwardedMessage) => got.push(m));
      await machineB.bind('conn-1', 'f1');
      assert.equal(await machineA.lookup('conn-1'), 'f1');
      assert.deepEqual(await machineB.forwardConnections(['conn-1', 'conn-2'], 'hello'), { reached: ['conn-1'], unreached: ['conn-2'] });
      await until('delivered on machine A', () => got.some((m) => m.message === 'hello'));
    });
  });
}

describe('registry options', () => {
  it('refuses a namespace that cannot be a hash tag, and a url given with a cluster', () => {
    assert.throws(() => new RegistryClient({ namespace: '' }), /namespace must be non-empty and without braces/);
    assert.throws(() => new RegistryClient({ namespace: 'a{b}:' }), /namespace must be non-empty and without braces/);
    assert.throws(() => new RegistryClient({ backend: 'redis', redis: { url: 'redis://127.0.0.1:1', cluster: { nodes: ['127.0.0.1:2'] } } }), /either url or cluster/);
  });
});
