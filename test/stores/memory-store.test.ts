import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import { MemoryStore } from '../../lib/stores/index.js';
import { storeContract } from './contract.js';

describe('MemoryStore', function () {
  storeContract({
    backend: 'memory',
    lists: true,
    create: async (options) => {
      const store = new MemoryStore(options);
      await store.ready();
      return store;
    },
  });

  describe('hand-over to the next leader', function () {
    // The state crosses the wire between leader and followers, so it is checked after a msgpack round trip.
    const wire = new Packr({ useRecords: false, mapsAsObjects: true });

    it('exports its live entries with their expiry, and the next store imports them', async () => {
      const first = new MemoryStore();
      await first.set('sid-a', { user: 'a', at: new Date(5), avatar: Buffer.from([1, 2]) });
      await first.set('sid-short', { user: 's' }, 300);
      await first.set('sid-dead', { user: 'd' }, 1);
      await new Promise((r) => setTimeout(r, 10));
      const state = wire.unpack(wire.pack(first.exportState()));
      await first.close();

      const next = new MemoryStore();
      await next.set('sid-a', { user: 'written in the new leader first' });
      await next.importState(state);
      assert.deepEqual(await next.all(), { 'sid-a': { user: 'written in the new leader first' }, 'sid-short': { user: 's' } });
      // The expiry travelled too.
      await new Promise((r) => setTimeout(r, 350));
      assert.deepEqual(await next.ids(), ['sid-a']);
      await next.close();
    });

    it('exports nothing when empty, closed, or with handoff: false, and ignores a malformed state', async () => {
      const empty = new MemoryStore();
      assert.equal(empty.exportState(), undefined);
      const off = new MemoryStore({ handoff: false });
      await off.set('sid', { x: 1 });
      assert.equal(off.exportState(), undefined);
      await off.importState({ entries: [['sid2', Buffer.from([0x80]), Date.now() + 60_000]] });
      assert.deepEqual(await off.ids(), ['sid']);
      await empty.importState({ entries: [[1, 'x', 'y'], 'junk', null] });
      await empty.importState('junk');
      assert.equal(await empty.length(), 0);
      await empty.set('sid', { y: 1 });
      await empty.close();
      assert.equal(empty.exportState(), undefined);
      await off.close();
    });
  });

  it('frees expired entries with its single sweep timer', async () => {
    const store = new MemoryStore({ sweepIntervalMs: 20 });
    for (let i = 0; i < 50; i++) await store.set(`sid-${i}`, { i }, 10);
    await store.set('sid-keep', { k: 1 });
    const entries = (store as unknown as { entries: Map<string, unknown> }).entries;
    assert.equal(entries.size, 51);
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([...entries.keys()], ['sid-keep']);
    await store.close();
  });
});
