// The express-session Store contract of SharedSessionStore against each backend, in one process
// (which is then the leader). The multi-process behaviour is in cluster.test.ts.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { promisify } from 'node:util';
import type { SessionData as ExpressSessionData } from 'express-session';
import { SharedSessionStore, type SharedSessionStoreOptions } from '../../lib/session/index.js';
import { freePort, MemcachedServer, RedisServer, requireBinary } from '../support/servers.js';
import { createApp } from './fixtures/app.js';
import { request } from './fixtures/http.js';

const MAX_AGE_MS = 1500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quiet = { info() {}, warn() {}, error: console.error };

interface Backend {
  name: 'memory' | 'redis' | 'memcached';
  binary?: 'redis-server' | 'memcached';
  start(): Promise<Partial<SharedSessionStoreOptions>>;
  stop(): Promise<void>;
  lists: boolean;
}

const redis = new RedisServer();
const memcached = new MemcachedServer();
const backends: Backend[] = [
  { name: 'memory', lists: true, start: async () => ({}), stop: async () => {} },
  { name: 'redis', binary: 'redis-server', lists: true, start: async () => ({ redis: { url: (await redis.start()).url } }), stop: () => redis.dispose() },
  { name: 'memcached', binary: 'memcached', lists: false, start: async () => ({ memcached: { servers: (await memcached.start()).servers, flushOnClear: true } }), stop: () => memcached.dispose() },
];

for (const backend of backends) {
  describe(`SharedSessionStore (express-session) on ${backend.name}`, function () {
    let store: SharedSessionStore;
    let server: Server;
    let port = 0;

    before(async function () {
      if (backend.binary) requireBinary(this, backend.binary);
      const connection = await backend.start();
      store = new SharedSessionStore({
        backend: backend.name,
        ...connection,
        prefix: `express-${backend.name}:`,
        onelink: { port: await freePort(), name: `session-test-${backend.name}`, logger: quiet },
      });
      await store.ready();
      const app = createApp(store, MAX_AGE_MS);
      server = app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      port = (server.address() as { port: number }).port;
    });
    after(async () => {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      await store?.close();
      await backend.stop();
    });

    it('runs in this process as the leader', () => {
      assert.equal(store.isLeader, true);
    });

    it('passes get/set/touch/destroy with callbacks', async () => {
      const get = promisify(store.get.bind(store));
      const set = promisify(store.set.bind(store));
      const touch = promisify(store.touch.bind(store)) as (sid: string, s: object) => Promise<void>;
      const destroy = promisify(store.destroy.bind(store));
      const expires = new Date(Date.now() + 60_000);
      const session = { cookie: { originalMaxAge: 60_000, expires, httpOnly: true, path: '/' }, user: 'ada', avatar: Buffer.from('png') } as unknown as ExpressSessionData;
      await set('cb-sid', session);
      assert.deepEqual(await get('cb-sid'), session);
      await touch('cb-sid', session);
      await destroy('cb-sid');
      assert.equal(await get('cb-sid'), null);
      assert.equal(await get('never-set'), null);
    });

    if (backend.lists) {
      it('passes all/length/clear with callbacks', async () => {
        const set = promisify(store.set.bind(store));
        await promisify(store.clear.bind(store))();
        await set('list-a', { cookie: { originalMaxAge: 60_000 }, n: 1 } as unknown as ExpressSessionData);
        await set('list-b', { cookie: { originalMaxAge: 60_000 }, n: 2 } as unknown as ExpressSessionData);
        assert.equal(await promisify(store.length.bind(store))(), 2);
        const all = await promisify(store.all.bind(store))() as Record<string, { n: number }>;
        assert.deepEqual(Object.keys(all).sort(), ['list-a', 'list-b']);
        assert.equal(all['list-b'].n, 2);
        assert.deepEqual(((await promisify(store.ids.bind(store))()) ?? []).sort(), ['list-a', 'list-b']);
        await promisify(store.clear.bind(store))();
        assert.equal(await promisify(store.length.bind(store))(), 0);
      });
    } else {
      it('answers all/length with ERR_ONELINK_STORE_UNSUPPORTED, and clears with flushOnClear', async () => {
        await assert.rejects(promisify(store.all.bind(store))(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED' });
        await assert.rejects(promisify(store.length.bind(store))(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED' });
        await promisify(store.set.bind(store))('to-clear', { cookie: { originalMaxAge: 60_000 } } as unknown as ExpressSessionData);
        await promisify(store.clear.bind(store))();
        assert.equal(await promisify(store.get.bind(store))('to-clear'), null);
      });
    }

    it('gives a clear error for a bad session id and for a value that cannot be stored', async () => {
      await assert.rejects(promisify(store.get.bind(store))(''), { code: 'ERR_ONELINK_INVALID_SESSION_ID' });
      await assert.rejects(promisify(store.set.bind(store))('bad id', {} as unknown as ExpressSessionData), { code: 'ERR_ONELINK_INVALID_SESSION_ID' });
      await assert.rejects(promisify(store.set.bind(store))('ok-id', { cookie: {}, onSave: () => 1 } as unknown as ExpressSessionData), { code: 'ERR_ONELINK_INVALID_SESSION', message: /session\.onSave is a function/ });
      assert.equal(await promisify(store.get.bind(store))('ok-id'), null);
    });

    it('logs in with a regenerated id, reloads, sees changes made elsewhere, and logs out', async () => {
      const anonymous = await request(port, 'GET', '/me');
      assert.equal(anonymous.body.user, null);
      const login = await request(port, 'POST', '/login/grace', anonymous.cookie);
      assert.equal(login.status, 200);
      assert.ok(login.cookie);
      const me = await request(port, 'GET', '/me', login.cookie);
      assert.equal(me.body.user, 'grace');
      assert.equal(me.body.sid, login.body.sid);
      // The session changes in the store behind the request's back; reload() picks that up.
      const stored = await promisify(store.get.bind(store))(login.body.sid);
      await promisify(store.set.bind(store))(login.body.sid, { ...stored, user: 'grace hopper' } as unknown as ExpressSessionData);
      assert.equal((await request(port, 'GET', '/reload', login.cookie)).body.user, 'grace hopper');
      // regenerate() destroyed the pre-login session.
      const before = await request(port, 'POST', '/login/mallory', login.cookie);
      assert.notEqual(before.body.sid, login.body.sid);
      assert.equal(await promisify(store.get.bind(store))(login.body.sid), null);
      const logout = await request(port, 'POST', '/logout', before.cookie);
      assert.equal(logout.status, 200);
      assert.equal(await promisify(store.get.bind(store))(before.body.sid), null);
      assert.equal((await request(port, 'GET', '/me', before.cookie)).body.user, null);
    });

    it('expires the session in the store when the cookie does', async function () {
      this.timeout(10_000);
      const login = await request(port, 'POST', '/login/ttl-user');
      assert.ok(await promisify(store.get.bind(store))(login.body.sid));
      // Memcached counts whole seconds.
      await sleep(MAX_AGE_MS + 1200);
      assert.equal(await promisify(store.get.bind(store))(login.body.sid), null);
      const after = await request(port, 'GET', '/me', login.cookie);
      assert.equal(after.body.user, null);
      assert.notEqual(after.body.sid, login.body.sid);
    });
  });
}

describe('SharedSessionStore started before its Redis', () => {
  const late = new RedisServer();
  after(() => late.dispose());

  it('fails calls with ERR_ONELINK_STORE_UNAVAILABLE while Redis is down, and serves once it is up, without a restart', async function () {
    requireBinary(this, 'redis-server');
    this.timeout(30_000);
    late.port = await freePort(); // reserved, nothing listens yet
    const store = new SharedSessionStore({
      backend: 'redis',
      redis: { url: late.url },
      onelink: { port: await freePort(), name: 'session-late-redis', logger: quiet },
    });
    const get = promisify(store.get.bind(store));
    const set = promisify(store.set.bind(store));
    try {
      await assert.rejects(store.ready(), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await assert.rejects(get('late-sid'), { code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      await late.start();
      let served = false;
      for (const until = Date.now() + 10_000; !served && Date.now() < until; await sleep(200)) {
        served = await set('late-sid', { cookie: { originalMaxAge: 60_000 }, user: 'late' } as unknown as ExpressSessionData).then(() => true, () => false);
      }
      assert.ok(served, 'a write succeeded once Redis was up');
      assert.equal(((await get('late-sid')) as unknown as { user: string }).user, 'late');
    } finally {
      await store.close();
    }
  });
});
