import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisStore, StoreUnavailableError } from '../../lib/stores/index.js';
import { freePort, RedisServer, requireBinary } from '../support/servers.js';
import { closedAfterEachTest } from './closed-after-each.js';
import { storeContract } from './contract.js';
import { redisClientCount } from './redis-clients.js';


describe('RedisStore', function () {
  const server = new RedisServer();
  let raw: Redis;
  const closeAfterTest = closedAfterEachTest();
  let counter = 0;
  const open = async (options: ConstructorParameters<typeof RedisStore>[0] = {}) => {
    const store = closeAfterTest(new RedisStore({ redis: { url: server.url }, prefix: `t${++counter}:`, ...options }));
    await store.ready();
    return store;
  };

  before(async function () {
    requireBinary(this, 'redis-server');
    await server.start();
    raw = new Redis(server.port, '127.0.0.1');
  });
  after(async () => {
    raw?.disconnect();
    await server.dispose();
  });

  storeContract({ backend: 'redis', lists: true, create: (options) => open(options) });

  it('writes one key per session under the prefix, with a millisecond TTL', async () => {
    const store = await open({ prefix: 'app:sess:' });
    await store.set('abc', { cookie: { expires: new Date(Date.now() + 90_000) }, n: 1 });
    const pttl = await raw.pttl('app:sess:abc');
    assert.ok(pttl > 85_000 && pttl <= 90_000, `pttl ${pttl}`);
    await store.touch('abc', {}, 300_000);
    assert.ok((await raw.pttl('app:sess:abc')) > 200_000);
    assert.equal(await raw.exists('app:sess:abc'), 1);
  });

  it('computes the TTL with a ttl function of the session', async () => {
    const store = await open({ ttl: (session) => (session.remember ? 1000 : 10) });
    await store.set('long', { remember: true });
    await store.set('short', { remember: false });
    const prefix = `t${counter}:`;
    assert.ok((await raw.pttl(`${prefix}long`)) > 900_000);
    assert.ok((await raw.pttl(`${prefix}short`)) <= 10_000);
  });

  it('lists with SCAN, never KEYS, and sees every session whatever the scanCount', async () => {
    await raw.config('RESETSTAT');
    const store = await open({ scanCount: 7 });
    for (let i = 0; i < 120; i++) await store.set(`s${i}`, { i });
    assert.equal(await store.length(), 120);
    assert.equal(Object.keys(await store.all()).length, 120);
    await store.clear();
    assert.equal(await store.length(), 0);
    const stats = await raw.info('commandstats');
    assert.match(stats, /cmdstat_scan:/);
    assert.doesNotMatch(stats, /cmdstat_keys:/);
  });

  it('treats glob characters in the prefix literally', async () => {
    const star = await open({ prefix: 'a*:' });
    const other = await open({ prefix: 'ab:' });
    await star.set('x', { s: 1 });
    await other.set('y', { o: 1 });
    assert.deepEqual(await star.ids(), ['x']);
    await star.clear();
    assert.deepEqual(await other.get('y'), { o: 1 });
  });

  it('reads and writes connect-redis JSON data with serializer: json', async () => {
    const store = await open({ prefix: 'json:', serializer: 'json' });
    await raw.set('json:old', JSON.stringify({ cookie: { expires: '2099-01-01T00:00:00.000Z', path: '/' }, user: 'u' }));
    assert.deepEqual(await store.get('old'), { cookie: { expires: '2099-01-01T00:00:00.000Z', path: '/' }, user: 'u' });
    await store.set('new', { v: 1 });
    assert.equal(await raw.get('json:new'), '{"v":1}');
  });

  it('says which key it cannot read when the data was written with another serializer', async () => {
    const store = await open({ prefix: 'mixed:' });
    await raw.set('mixed:legacy', '"just a string"');
    await assert.rejects(store.get('legacy'), { code: 'ERR_ONELINK_SESSION_DECODE', message: /mixed:legacy/ });
  });

  it('holds exactly one connection, named onelink-session', async () => {
    const before = await redisClientCount(server);
    const store = await open();
    await store.get('whatever');
    assert.equal(await redisClientCount(server), before + 1);
    assert.match(await server.cli('CLIENT', 'LIST'), /name=onelink-session/);
    await store.close();
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(await redisClientCount(server), before);
  });

  it('rejects ready() with ERR_ONELINK_STORE_UNAVAILABLE when nothing listens', async () => {
    const port = await freePort();
    const store = closeAfterTest(new RedisStore({ redis: { port, connectTimeout: 1000 } }));
    await assert.rejects(store.ready(), (error: unknown) => {
      assert.ok(error instanceof StoreUnavailableError);
      assert.equal(error.code, 'ERR_ONELINK_STORE_UNAVAILABLE');
      return true;
    });
  });

  it('does not remember a failed ready(): once Redis is up, the next ready() resolves', async function () {
    this.timeout(15_000);
    const late = new RedisServer();
    late.port = await freePort();
    try {
      const store = closeAfterTest(new RedisStore({ redis: { port: late.port, connectTimeout: 1000 } }));
      await assert.rejects(store.ready(), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await late.start();
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await store.ready();
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await store.set('after', { a: 1 });
      assert.deepEqual(await store.get('after'), { a: 1 });
    } finally {
      await late.dispose();
    }
  });

  describe('when Redis goes away', function () {
    const persistent = new RedisServer({ persistent: true });
    before(async () => {
      await persistent.start();
    });
    after(() => persistent.dispose());

    const storeOn = async () => {
      const store = closeAfterTest(new RedisStore({ redis: { port: persistent.port } }));
      await store.ready();
      return store;
    };

    it('fails calls at once with ERR_ONELINK_STORE_UNAVAILABLE while it is down, and recovers by itself', async function () {
      this.timeout(15_000);
      const store = await storeOn();
      await store.set('kept', { k: 1 });
      await persistent.kill();
      const started = Date.now();
      await assert.rejects(store.set('lost', { l: 1 }), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await assert.rejects(store.get('kept'), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      assert.ok(Date.now() - started < 2000, 'calls fail fast instead of queueing');
      await persistent.start();
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          assert.deepEqual(await store.get('kept'), { k: 1 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    });

    for (const disruption of ['CLIENT KILL', 'restart', 'crash'] as const) {
      it(`loses no acknowledged write when the connection is cut by ${disruption} under load`, async function () {
        this.timeout(20_000);
        const store = await storeOn();
        const acknowledged: string[] = [];
        const failures: unknown[] = [];
        let stop = false;
        const writer = async (w: number) => {
          for (let i = 0; !stop; i++) {
            const sid = `${disruption.replace(' ', '-')}-${w}-${i}`;
            try {
              await store.set(sid, { w, i, at: new Date() });
              acknowledged.push(sid);
            } catch (error) {
              failures.push(error);
              await new Promise((r) => setTimeout(r, 5));
            }
          }
        };
        const writers = Array.from({ length: 8 }, (_, w) => writer(w));
        await new Promise((r) => setTimeout(r, 300));
        const ackedBefore = acknowledged.length;
        if (disruption === 'CLIENT KILL') await persistent.cli('CLIENT', 'KILL', 'TYPE', 'normal');
        else if (disruption === 'restart') await persistent.restart();
        else {
          await persistent.kill();
          await persistent.start();
        }
        // Keep writing until the store has recovered and accepted more writes.
        const deadline = Date.now() + 10_000;
        const ackedAtDisruption = acknowledged.length;
        while (acknowledged.length < ackedAtDisruption + 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        stop = true;
        await Promise.all(writers);
        assert.ok(ackedBefore > 0, 'writes succeeded before the disruption');
        assert.ok(acknowledged.length >= ackedAtDisruption + 200, 'writes succeed again after the disruption');
        console.log(`      ${disruption}: ${acknowledged.length} writes acknowledged, ${failures.length} failed`);
        if (disruption !== 'CLIENT KILL') assert.ok(failures.length > 0, 'writes failed while Redis was down');
        for (const error of failures) assert.equal((error as { code?: string }).code, 'ERR_ONELINK_STORE_UNAVAILABLE');
        const check = new Redis(persistent.port, '127.0.0.1');
        try {
          const found = await check.exists(...acknowledged.map((sid) => `sess:${sid}`));
          assert.equal(found, acknowledged.length, 'every acknowledged write is in Redis');
        } finally {
          check.disconnect();
        }
      });
    }
  });
});
