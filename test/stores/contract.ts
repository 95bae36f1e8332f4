// The SessionStore contract, run against every backend by its own test file.
import assert from 'node:assert/strict';
import type { SessionData, SessionStore } from '../../lib/stores/index.js';
import { closedAfterEachTest } from './closed-after-each.js';

export interface StoreTarget {
  backend: string;
  /** Whether all()/ids()/length()/clear() can answer (Memcached cannot list keys). */
  lists: boolean;
  /** A fresh store of its own namespace, ready. The suite closes it. */
  create(options?: { ttl?: number; disableTouch?: boolean; disableTTL?: boolean }): Promise<SessionStore>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sampleSession(): SessionData {
  return {
    cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), httpOnly: true, path: '/' },
    user: { id: 42, name: 'Zoë ✓', roles: ['admin', 'editor'], lastLogin: new Date('2024-05-06T07:08:09.123Z') },
    avatar: Buffer.from([0, 1, 2, 254, 255]),
    counters: [1, -2.5, 0, Number.MAX_SAFE_INTEGER],
    flags: { enabled: true, disabled: false, none: null },
    empty: {},
  };
}

export function storeContract(target: StoreTarget): void {
  describe(`SessionStore contract: ${target.backend}`, function () {
    const closeAfterTest = closedAfterEachTest();
    const create = async (options?: Parameters<StoreTarget['create']>[0]) => closeAfterTest(await target.create(options));

    it('returns null for a session it does not have', async () => {
      const store = await create();
      assert.equal(await store.get('nobody-here'), null);
    });

    it('keeps dates, buffers, nested objects and unicode through set and get', async () => {
      const store = await create();
      const session = sampleSession();
      await store.set('sid-roundtrip', session);
      const read = await store.get('sid-roundtrip');
      assert.ok(read);
      assert.ok(read.user && typeof read.user === 'object' && (read.user as { lastLogin?: unknown }).lastLogin instanceof Date);
      assert.ok(Buffer.isBuffer(read.avatar));
      assert.deepEqual(read, session);
    });

    it('overwrites on set and forgets on destroy', async () => {
      const store = await create();
      await store.set('sid-overwrite', { n: 1 });
      await store.set('sid-overwrite', { n: 2 });
      assert.deepEqual(await store.get('sid-overwrite'), { n: 2 });
      await store.destroy('sid-overwrite');
      assert.equal(await store.get('sid-overwrite'), null);
      await store.destroy('sid-overwrite');
    });

    it('stores a copy: changing the object after set does not change the stored session', async () => {
      const store = await create();
      const session: SessionData = { cart: ['apple'] };
      await store.set('sid-copy', session);
      (session.cart as string[]).push('pear');
      assert.deepEqual(await store.get('sid-copy'), { cart: ['apple'] });
    });

    it('stores what a class instance with toJSON gives, like express-session cookies', async () => {
      class Cookie {
        constructor(private readonly expiresAt: Date) {}
        toJSON() {
          return { expires: this.expiresAt, path: '/' };
        }
      }
      const store = await create();
      const expires = new Date(Date.now() + 60_000);
      await store.set('sid-tojson', { cookie: new Cookie(expires) } as unknown as SessionData);
      assert.deepEqual(await store.get('sid-tojson'), { cookie: { expires, path: '/' } });
    });

    // One wait for every expiry rule keeps the suite fast; Memcached counts whole seconds, so wait for two.
    it('expires by explicit TTL, cookie expiry and the ttl option; touch extends; disableTTL and disableTouch hold', async function () {
      this.timeout(10_000);
      const store = await create();
      await store.set('sid-short', { a: 1 }, 1000);
      await store.set('sid-touched', { b: 1 }, 1000);
      await store.touch('sid-touched', {}, 30_000);
      await store.set('sid-cookie', { cookie: { expires: new Date(Date.now() + 1000) } });
      await store.set('sid-default', { d: 1 });
      const byOption = await create({ ttl: 1 });
      await byOption.set('sid-option-ttl', { x: 1 });
      await byOption.set('sid-cookie-wins', { cookie: { expires: new Date(Date.now() + 60_000) } });
      const forever = await create({ disableTTL: true });
      await forever.set('sid-forever', { f: 1 }, 500);
      const untouched = await create({ disableTouch: true });
      await untouched.set('sid-untouched', { u: 1 }, 1000);
      await untouched.touch('sid-untouched', {}, 60_000);
      assert.deepEqual(await store.get('sid-short'), { a: 1 });

      await sleep(2200);
      assert.equal(await store.get('sid-short'), null);
      assert.equal(await store.get('sid-cookie'), null);
      assert.deepEqual(await store.get('sid-touched'), { b: 1 });
      assert.deepEqual(await store.get('sid-default'), { d: 1 });
      assert.equal(await byOption.get('sid-option-ttl'), null);
      assert.ok(await byOption.get('sid-cookie-wins'));
      assert.deepEqual(await forever.get('sid-forever'), { f: 1 });
      assert.equal(await untouched.get('sid-untouched'), null);
    });

    it('does not create a session on touch, and deletes it when set or touched with an expired TTL', async () => {
      const store = await create();
      await store.touch('sid-ghost', {}, 60_000);
      assert.equal(await store.get('sid-ghost'), null);
      await store.set('sid-expired', { e: 1 });
      await store.set('sid-expired', { e: 2, cookie: { expires: new Date(Date.now() - 1000) } });
      assert.equal(await store.get('sid-expired'), null);
      await store.set('sid-touch-expired', { t: 1 });
      await store.touch('sid-touch-expired', {}, 0);
      assert.equal(await store.get('sid-touch-expired'), null);
    });

    it('rejects bad session ids with ERR_ONELINK_INVALID_SESSION_ID', async () => {
      const store = await create();
      const bad: unknown[] = ['', 'x'.repeat(300), 'has space', 'new\nline', 'nul\u0000', 42, null, undefined, { id: 'x' }];
      for (const sid of bad) {
        for (const call of [
          () => store.get(sid as string),
          () => store.set(sid as string, { a: 1 }),
          () => store.touch(sid as string, {}),
          () => store.destroy(sid as string),
        ]) {
          await assert.rejects(call, { code: 'ERR_ONELINK_INVALID_SESSION_ID' }, `sid ${JSON.stringify(sid)}`);
        }
      }
    });

    it('rejects values that cannot be stored with ERR_ONELINK_INVALID_SESSION, and stores nothing', async () => {
      const store = await create();
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = cyclic;
      const bad: Array<[unknown, string]> = [
        [{ fn: () => 1 }, 'session.fn'],
        [{ nested: { sym: Symbol('s') } }, 'session.nested.sym'],
        [cyclic, 'session.self'],
        [{ list: [1, new Map([[1, 2]])] }, 'session.list[1]'],
        [{ big: 10n }, 'session.big'],
        [{ when: new Date('not a date') }, 'session.when'],
        ['a string', 'session'],
        [null, 'session'],
      ];
      for (const [value, path] of bad) {
        await assert.rejects(store.set('sid-bad-value', value as SessionData), (error: { code?: string; path?: string }) => {
          assert.equal(error.code, 'ERR_ONELINK_INVALID_SESSION');
          assert.equal(error.path, path);
          return true;
        });
      }
      assert.equal(await store.get('sid-bad-value'), null);
      // A shared (acyclic) object referenced twice is fine.
      const shared = { x: 1 };
      await store.set('sid-shared', { a: shared, b: shared });
      assert.deepEqual(await store.get('sid-shared'), { a: { x: 1 }, b: { x: 1 } });
    });

    if (target.lists) {
      it('lists, counts and clears its own sessions only', async () => {
        const store = await create();
        const neighbour = await create();
        await neighbour.set('sid-neighbour', { n: 1 });
        assert.deepEqual(await store.all(), {});
        assert.equal(await store.length(), 0);
        await store.set('sid-1', { i: 1 });
        await store.set('sid-2', { i: 2, at: new Date(0) });
        await store.set('sid-gone', { i: 3 }, 1);
        await sleep(20);
        assert.deepEqual(await store.all(), { 'sid-1': { i: 1 }, 'sid-2': { i: 2, at: new Date(0) } });
        assert.deepEqual((await store.ids()).sort(), ['sid-1', 'sid-2']);
        assert.equal(await store.length(), 2);
        await store.clear();
        assert.equal(await store.length(), 0);
        assert.deepEqual(await store.all(), {});
        assert.deepEqual(await neighbour.get('sid-neighbour'), { n: 1 });
      });
    } else {
      it('refuses to list with ERR_ONELINK_STORE_UNSUPPORTED rather than answer wrongly', async () => {
        const store = await create();
        await store.set('sid-listed', { l: 1 });
        await assert.rejects(store.all(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED' });
        await assert.rejects(store.ids(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED' });
        await assert.rejects(store.length(), { code: 'ERR_ONELINK_STORE_UNSUPPORTED' });
      });
    }

    it('fails with ERR_ONELINK_STORE_CLOSED after close', async () => {
      const store = await create();
      await store.close();
      await assert.rejects(store.get('sid-closed'), { code: 'ERR_ONELINK_STORE_CLOSED' });
      await assert.rejects(store.set('sid-closed', {}), { code: 'ERR_ONELINK_STORE_CLOSED' });
      await store.close();
    });
  });
}
