import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Balancer, CallerLedger, crc32, createStrategy, type Candidate } from '../../lib/registry/balancer/index.js';
import { NoCapacityError, NoServerError } from '../../lib/registry/errors.js';
import { resolveRegistryOptions, type BalancerOptions } from '../../lib/registry/options.js';

function balancer(options: BalancerOptions = {}): Balancer {
  return new Balancer(resolveRegistryOptions({ balancer: options }).balancer);
}

function servers(...ids: string[]): Candidate[] {
  return ids.map((id) => ({ id, weight: 1, priority: 0 }));
}

async function pickMany(b: Balancer, candidates: Candidate[], count: number, key?: (i: number) => string): Promise<string[]> {
  const picked: string[] = [];
  for (let i = 0; i < count; i++) {
    const chosen = await b.pick('api', candidates, { key: key?.(i) });
    b.report(chosen.id, { latencyMs: 1, ok: true });
    picked.push(chosen.id);
  }
  return picked;
}

function share(picked: string[], id: string): number {
  return picked.filter((p) => p === id).length / picked.length;
}

describe('registry balancer (pure strategies)', () => {
  it('crc32 is CRC-32/IEEE', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
    assert.equal(crc32(''), 0);
    for (const text of ['a', 'user:42', 'ünïcødé', 'x'.repeat(1000)]) {
      assert.equal(crc32(text), zlib.crc32(text), text.slice(0, 10));
    }
  });

  it('round-robin rotates exactly, in id order, and keeps rotating when a server leaves', async () => {
    const b = balancer();
    assert.deepEqual(await pickMany(b, servers('c', 'a', 'b'), 9), ['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b', 'c']);
    const after = await pickMany(b, servers('a', 'c'), 4);
    assert.deepEqual(new Set(after), new Set(['a', 'c']));
    assert.notEqual(after[0], after[1]);
  });

  it('weighted-round-robin gives each server its weight share within 5 %, interleaved', async () => {
    const b = balancer({ strategy: 'weighted-round-robin' });
    const candidates: Candidate[] = [
      { id: 'small', weight: 1, priority: 0 },
      { id: 'medium', weight: 3, priority: 0 },
      { id: 'large', weight: 6, priority: 0 },
    ];
    const picked = await pickMany(b, candidates, 10_000);
    for (const [id, expected] of [['small', 0.1], ['medium', 0.3], ['large', 0.6]] as const) {
      assert.ok(Math.abs(share(picked, id) - expected) <= expected * 0.05, `${id}: ${share(picked, id)} vs ${expected}`);
    }
    // smooth: the heavy server never takes more than 2 picks in a row out of each 10-pick cycle
    assert.ok(!picked.slice(0, 10).join(',').includes('large,large,large'), picked.slice(0, 10).join(','));
  });

  it('weighted-round-robin never picks weight 0, and with only weight-0 servers says there is no server, not no capacity', async () => {
    const b = balancer({ strategy: 'weighted-round-robin', whenFull: 'wait', maxWaitMs: 5000 });
    const picked = await pickMany(b, [{ id: 'draining', weight: 0, priority: 0 }, { id: 'live', weight: 2, priority: 0 }], 20);
    assert.deepEqual([...new Set(picked)], ['live']);
    const started = Date.now();
    await assert.rejects(b.pick('api', [{ id: 'draining', weight: 0, priority: 0 }]), (err: unknown) => err instanceof NoServerError);
    assert.ok(Date.now() - started < 1000, 'fails at once instead of waiting for capacity');
  });

  it('least-latency prefers the lowest EWMA and probes servers without reports', async () => {
    const b = balancer({ strategy: 'least-latency' });
    const candidates = servers('fast', 'slow');
    b.report('slow', { latencyMs: 200, ok: true });
    b.report('fast', { latencyMs: 20, ok: true });
    for (let i = 0; i < 5; i++) {
      const chosen = await b.pick('api', candidates);
      assert.equal(chosen.id, 'fast');
      b.report('fast', { latencyMs: 20, ok: true });
    }
    const withNew = await b.pick('api', servers('fast', 'slow', 'new'));
    assert.equal(withNew.id, 'new', 'a server without latency reports is tried');
    b.report('new', { latencyMs: 500, ok: true });
    // fast's EWMA degrading past slow's moves traffic
    for (let i = 0; i < 20; i++) b.report('fast', { latencyMs: 400, ok: true });
    assert.equal((await b.pick('api', candidates)).id, 'slow');
  });

  it('least-active picks the server with fewest in flight, and fails clearly when all are full', async () => {
    const b = balancer({ strategy: 'least-active', maxConcurrent: 2 });
    const candidates = servers('a', 'b');
    const first = await b.pick('api', candidates);
    const second = await b.pick('api', candidates);
    assert.notEqual(first.id, second.id);
    await b.pick('api', candidates);
    await b.pick('api', candidates);
    assert.deepEqual([b.metrics('a').inFlight, b.metrics('b').inFlight], [2, 2]);
    await assert.rejects(b.pick('api', candidates), (err: unknown) => err instanceof NoCapacityError && err.code === 'ERR_ONELINK_REGISTRY_NO_CAPACITY');
    b.report('b', { latencyMs: 5, ok: true });
    assert.equal((await b.pick('api', candidates)).id, 'b');
  });

  it('least-active with whenFull "wait" waits for a slot, and gives up after maxWaitMs', async () => {
    const b = balancer({ strategy: 'least-active', maxConcurrent: 1, whenFull: 'wait', maxWaitMs: 300 });
    const candidates = servers('only');
    await b.pick('api', candidates);
    const waiting = b.pick('api', candidates);
    setTimeout(() => b.report('only', { latencyMs: 1, ok: true }), 50);
    assert.equal((await waiting).id, 'only');
    const started = Date.now();
    await assert.rejects(b.pick('api', candidates), NoCapacityError);
    assert.ok(Date.now() - started >= 250);
  });

  it('sticky keeps each key on its server while it lives and moves only the keys of a dead server', async () => {
    const b = balancer({ strategy: 'sticky' });
    const all = servers('s1', 's2', 's3', 's4');
    const keys = Array.from({ length: 1000 }, (_, i) => `user-${i}`);
    const first = await pickMany(b, all, keys.length, (i) => keys[i]);
    assert.deepEqual(await pickMany(b, all, keys.length, (i) => keys[i]), first, 'stable on repeat');
    for (const id of ['s1', 's2', 's3', 's4']) assert.ok(share(first, id) > 0.15, `${id} gets a fair part of new keys`);

    const survivors = servers('s1', 's2', 's4');
    const moved = await pickMany(b, survivors, keys.length, (i) => keys[i]);
    keys.forEach((_, i) => {
      if (first[i] !== 's3') assert.equal(moved[i], first[i], 'keys of live servers stay');
      else assert.notEqual(moved[i], 's3');
    });
    assert.deepEqual(await pickMany(b, all, keys.length, (i) => keys[i]), moved, 'moved keys stay where they moved when s3 returns');
  });

  it('crc32 routes crc32(key) mod n over the sorted servers, the same in every balancer', async () => {
    const candidates = servers('conn-2', 'conn-0', 'conn-1');
    const sorted = ['conn-0', 'conn-1', 'conn-2'];
    const a = balancer({ strategy: 'crc32' });
    const b = balancer({ strategy: 'crc32' });
    for (let uid = 0; uid < 200; uid++) {
      const key = String(uid);
      const expected = sorted[crc32(key) % 3];
      assert.equal((await a.pick('api', candidates, { key })).id, expected);
      assert.equal((await b.pick('api', [...candidates].reverse(), { key })).id, expected);
    }
  });

  for (const n of [3, 5, 10]) {
    it(`consistent-hash moves at most 1.5/n of 10,000 keys when one of ${n} servers leaves`, () => {
      const strategy = createStrategy('consistent-hash');
      const stats = { latencyEwma: () => undefined, inFlight: () => 0 };
      const all = servers(...Array.from({ length: n }, (_, i) => `10.0.0.${i + 1}:8080`));
      const keys = Array.from({ length: 10_000 }, (_, i) => `session:${i}`);
      const before = keys.map((key) => strategy.pick(all, { key, stats, maxConcurrent: 0 })!.id);
      const leaving = all[1].id;
      const rest = all.filter((c) => c.id !== leaving);
      const after = keys.map((key) => strategy.pick(rest, { key, stats, maxConcurrent: 0 })!.id);
      let moved = 0;
      keys.forEach((_, i) => {
        if (before[i] !== after[i]) {
          moved++;
          assert.equal(before[i], leaving, 'only keys of the leaving server move');
        }
      });
      assert.ok(moved > 0);
      assert.ok(moved <= (1.5 / n) * keys.length, `moved ${moved} of ${keys.length} with n=${n}`);
      for (const c of all) assert.ok(before.filter((id) => id === c.id).length > keys.length / n / 3, `${c.id} owns a fair share`);
    });
  }

  it('priority sends everything to the highest group, and to the next only when it is empty', async () => {
    const b = balancer({ strategy: 'priority' });
    const candidates: Candidate[] = [
      { id: 'primary-1', weight: 1, priority: 10 },
      { id: 'primary-2', weight: 1, priority: 10 },
      { id: 'backup-1', weight: 1, priority: 1 },
      { id: 'last-resort', weight: 1, priority: 0 },
    ];
    assert.deepEqual(await pickMany(b, candidates, 4), ['primary-1', 'primary-2', 'primary-1', 'primary-2']);
    assert.equal((await b.pick('api', candidates, { exclude: ['primary-1', 'primary-2'] })).id, 'backup-1');
    assert.equal((await b.pick('api', candidates.slice(3))).id, 'last-resort');
  });

  it('per-type strategies, exclude, and NoServerError when nothing is left', async () => {
    const b = balancer({ strategy: 'round-robin', strategies: { chat: 'crc32' } });
    assert.equal(b.strategyFor('chat').name, 'crc32');
    assert.equal(b.strategyFor('api').name, 'round-robin');
    assert.equal((await b.pick('api', servers('a', 'b'), { exclude: ['a'] })).id, 'b');
    await assert.rejects(b.pick('api', servers('a'), { exclude: ['a'] }), (err: unknown) => err instanceof NoServerError && err.code === 'ERR_ONELINK_REGISTRY_NO_SERVER');
    assert.throws(() => createStrategy('fastest' as never), /unknown balancing strategy "fastest"/);
  });

  it('metrics count successes, failures, in flight and latency percentiles', async () => {
    const b = balancer();
    for (let i = 1; i <= 100; i++) {
      await b.pick('api', servers('a'));
      b.report('a', { latencyMs: i, ok: i % 10 !== 0 });
    }
    await b.pick('api', servers('a'));
    const m = b.metrics('a');
    assert.deepEqual([m.successes, m.failures, m.inFlight, m.latencyP50, m.latencyP99], [90, 10, 1, 50, 99]);
    assert.equal(b.metrics('unknown').latencyP50, null);
  });
});

describe('caller ledger: requests in flight per calling process', () => {
  it('forgets a caller silent for longer than the TTL and returns what it had in flight, per server', () => {
    const ledger = new CallerLedger();
    ledger.picked('a', 's1', 0);
    ledger.picked('a', 's1', 10);
    ledger.picked('a', 's2', 20);
    ledger.picked('b', 's1', 0);
    ledger.reported('b', 's1', 30); // b has nothing in flight any more: forgotten at once
    ledger.seen('a', 500);
    assert.deepEqual([...ledger.expire(1000, 600)], []);
    assert.deepEqual([...ledger.expire(1101, 600)], [['s1', 2], ['s2', 1]]);
    assert.deepEqual([...ledger.expire(5000, 600)], [], 'released once');
  });

  it('lets the balancer take back released requests without recording an outcome', async () => {
    const b = balancer({ strategy: 'least-active', maxConcurrent: 1 });
    const candidates = servers('x');
    await b.pick('api', candidates);
    await assert.rejects(b.pick('api', candidates), NoCapacityError);
    b.release('x', 1);
    assert.equal((await b.pick('api', candidates)).id, 'x');
    assert.deepEqual([b.metrics('x').successes, b.metrics('x').failures, b.metrics('x').inFlight], [0, 0, 1]);
  });
});
