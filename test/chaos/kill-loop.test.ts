// Kill campaign: processes write to a real Redis (append-only, fsync on every write) through one
// shared connection, while the current leader is killed with SIGKILL again and again and a fresh
// process replaces it each time. Afterwards Redis must hold every acknowledged write, no
// non-idempotent write may have run twice, and every call must have settled within
// maxWaitTime + responseTimeout. test/scenario/leader-kill.test.ts covers one and two kills in
// detail (which calls fail, subscriptions); this is the same failover, repeated, against a real upstream.
//
// Size: 10 kills (100 with ONELINK_CHAOS_FULL=1), 4 writing processes at any time.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { isAlive, singleLeader, sleep } from '../scenario/helpers.js';
import { freePort, RedisServer, requireBinary } from '../support/servers.js';
import { killAll, startWorkers, type WorkerProcess } from '../support/processes.js';
import type { WriteOutcome } from '../fixtures/writer-process.js';

const WRITER = fileURLToPath(new URL('../fixtures/writer-process.ts', import.meta.url));
const FULL = process.env.ONELINK_CHAOS_FULL === '1';
const KILLS = FULL ? 100 : 10;
const PROCESSES = 4;
const OPTIONS = { maxWaitTime: 10000, responseTimeout: 3000 };
/** The longest any call may take: waiting for a leader, then waiting for its answer. */
const SETTLE_BOUND_MS = OPTIONS.maxWaitTime + OPTIONS.responseTimeout;
/** Writes under each new leader before the next kill. */
const WRITES_BETWEEN_KILLS_MS = 300;
const LEADER_LOST = 'ERR_ONELINK_LEADER_LOST';

function outcomesOf(workers: WorkerProcess[]): WriteOutcome[] {
  return workers.flatMap((w) => w.events.filter((e) => e.event === 'write').map((e) => e.value as WriteOutcome));
}

function countBy<T>(items: T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}

describe('chaos: kill -9 campaign against a real Redis upstream', function () {
  this.timeout(KILLS * 30000 + 120000);
  let redis: RedisServer;
  const workers: WorkerProcess[] = [];

  before(async function () {
    requireBinary(this, 'redis-server');
    redis = await new RedisServer({ persistent: true }).start();
  });
  after(async () => {
    await killAll(workers);
    await redis?.dispose();
  });

  it(`${KILLS} leader kills, ${PROCESSES} writing processes: no acknowledged write lost, no non-idempotent write run twice, every call settled within ${SETTLE_BOUND_MS} ms`, async () => {
    const port = await freePort();
    const start = async (count: number) => {
      const started = await startWorkers(count, { port, redisPort: redis.port, options: OPTIONS } as { port: number }, WRITER);
      for (const w of started) {
        const ready = await w.ready;
        assert.ok(ready.ok, `a writer failed to start: ${JSON.stringify(ready.error)}`);
        await w.call('startWrites');
      }
      workers.push(...started);
    };
    const began = Date.now();
    await start(PROCESSES);
    await sleep(WRITES_BETWEEN_KILLS_MS);

    const failoverMs: number[] = [];
    for (let kill = 1; kill <= KILLS; kill++) {
      const leader = await singleLeader(workers, 20000);
      const killedAt = Date.now();
      await leader.kill('SIGKILL');
      const replacement = start(1);
      const next = await singleLeader(workers, 20000);
      failoverMs.push(Date.now() - killedAt);
      assert.notEqual(next.pid, leader.pid);
      await replacement;
      await sleep(WRITES_BETWEEN_KILLS_MS);
    }

    // Stop the survivors' loops: a call that never settles would keep its loop from stopping.
    const stopped = await Promise.all(workers.filter(isAlive).map((w) => Promise.race([
      w.call('stopWrites').then(() => true),
      sleep(SETTLE_BOUND_MS + 5000).then(() => false),
    ])));
    const seconds = (Date.now() - began) / 1000;

    const outcomes = outcomesOf(workers);
    const acknowledged = outcomes.filter((o) => o.ok);
    const failed = outcomes.filter((o) => !o.ok);
    const hung = outcomes.filter((o) => o.ms > SETTLE_BOUND_MS).length + stopped.filter((s) => !s).length;

    const check = new Redis({ port: redis.port, host: '127.0.0.1' });
    let lost: string[];
    let duplicated: string[];
    let listLength: number;
    try {
      const sets = acknowledged.filter((o) => o.op === 'set');
      const values: Array<string | null> = [];
      for (let i = 0; i < sets.length; i += 1000) values.push(...(await check.mget(sets.slice(i, i + 1000).map((o) => `set:${o.token}`))));
      const log = await check.lrange('log', 0, -1);
      listLength = log.length;
      const inLog = countBy(log, (token) => token);
      lost = [
        ...sets.filter((o, i) => values[i] !== o.token).map((o) => `set ${o.token}`),
        ...acknowledged.filter((o) => o.op === 'rpush' && !inLog[o.token]).map((o) => `rpush ${o.token}`),
      ];
      duplicated = Object.entries(inLog).filter(([, n]) => n > 1).map(([token, n]) => `${token} x${n}`);
    } finally {
      check.disconnect();
    }

    const maxMs = Math.max(...outcomes.map((o) => o.ms));
    failoverMs.sort((a, b) => a - b);
    console.log(`      ${KILLS} kills in ${seconds.toFixed(1)} s; kill → the survivors agree on a new leader (ms): median ${failoverMs[failoverMs.length >> 1]}, max ${failoverMs.at(-1)}`);
    console.log(`      writes acknowledged: ${acknowledged.length} (set ${acknowledged.filter((o) => o.op === 'set').length}, rpush ${acknowledged.filter((o) => o.op === 'rpush').length}); ` +
      `failed: ${JSON.stringify(countBy(failed, (o) => `${o.op} ${o.code}`))}; tokens in the log: ${listLength}`);
    console.log(`      lost: ${lost.length}, duplicated: ${duplicated.length}, hung: ${hung} (slowest call ${maxMs} ms, bound ${SETTLE_BOUND_MS} ms)`);

    assert.ok(acknowledged.length > KILLS, 'too few writes were acknowledged to say anything');
    assert.deepEqual(lost.slice(0, 20), [], `${lost.length} acknowledged writes are not in Redis`);
    assert.deepEqual(duplicated.slice(0, 20), [], `${duplicated.length} non-idempotent writes ran more than once`);
    assert.equal(hung, 0, 'calls did not settle within maxWaitTime + responseTimeout');
    // The one failure a non-idempotent call may see when its leader dies; idempotent ones are sent again.
    for (const o of failed) assert.ok(o.op === 'rpush' && o.code === LEADER_LOST, `a ${o.op} failed with ${o.code}`);
  });
});
