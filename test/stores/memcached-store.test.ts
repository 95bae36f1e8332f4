import assert from 'node:assert/strict';
import { MemcachedStore } from '../../lib/stores/index.js';
import { freePort, MemcachedServer, requireBinary } from '../support/servers.js';
import { closedAfterEachTest } from './closed-after-each.js';
import { storeContract } from './contract.js';

describe('MemcachedStore', function () {
  const server = new MemcachedServer();
  const closeAfterTest = closedAfterEachTest();
  let counter = 0;
  const open = async (options: ConstructorParameters<typeof MemcachedStore>[0] = {}) => {
    const store = closeAfterTest(new MemcachedStore({ servers: server.servers, prefix: `t${++counter}:`, ...options }));
    await store.ready();
    return store;
  };

  before(async function () {
    requireBinary(this, 'memcached');
    await server.start();
  });
  after(() => server.dispose());

  storeContract({ backend: 'memcached', lists: false, create: (options) => open(options) });

  it('keeps a session whose TTL is longer than the 30 days Memcached reads as relative', async () => {
    const store = await open();
    await store.set('long-lived', { remember: true }, 40 * 24 * 3600 * 1000);
    await store.set('cookie-year', { cookie: { expires: new Date(Date.now() + 365 * 24 * 3600 * 1000) } });
    assert.deepEqual(await store.get('long-lived'), { remember: true });
    assert.ok(await store.get('cookie-year'));
    await store.touch('long-lived', {}, 60 * 24 * 3600 * 1000);
    assert.deepEqual(await store.get('long-lived'), { remember: true });
  });

  it('refuses clear() unless flushOnClear says the servers hold only sessions', async () => {
    const store = await open();
    await store.set('survivor', { s: 1 });
    await assert.rejects(store.clear(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED', message: /flushOnClear/ });
    assert.deepEqual(await store.get('survivor'), { s: 1 });
    const flushing = await open({ flushOnClear: true });
    await flushing.set('x', { x: 1 });
    await flushing.clear();
    assert.equal(await flushing.get('x'), null);
    assert.equal(await store.get('survivor'), null);
  });

  it('rejects a session id whose key would exceed the 250 bytes Memcached accepts', async () => {
    const store = await open({ prefix: 'p'.repeat(100) });
    await store.set('y'.repeat(150), { ok: 1 });
    await assert.rejects(store.set('y'.repeat(151), { ok: 1 }), { code: 'ERR_ONELINK_INVALID_SESSION_ID' });
    await assert.rejects(store.get('é'.repeat(100)), { code: 'ERR_ONELINK_INVALID_SESSION_ID' });
  });

  it('fails with ERR_ONELINK_STORE_UNAVAILABLE when the server is down, and works again once it is back', async function () {
    this.timeout(15_000);
    const own = new MemcachedServer();
    await own.start();
    try {
      const store = await open({ servers: own.servers });
      await store.set('before', { b: 1 });
      await own.kill();
      await assert.rejects(store.get('before'), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await assert.rejects(store.set('during', { d: 1 }), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await own.start();
      // Memcached keeps nothing across a restart; the store just has to work again.
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          await store.set('after', { a: 1 });
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      assert.deepEqual(await store.get('after'), { a: 1 });
    } finally {
      await own.dispose();
    }
  });

  it('rejects ready() with ERR_ONELINK_STORE_UNAVAILABLE when nothing listens', async () => {
    const store = closeAfterTest(new MemcachedStore({ servers: `127.0.0.1:${await freePort()}` }));
    await assert.rejects(store.ready(), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
  });
});
