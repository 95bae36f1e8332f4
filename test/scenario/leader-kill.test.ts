// kill -9 of the leader while followers call it in tight loops: one new leader, no failed
// idempotent call, in-flight non-idempotent calls fail with LeaderLostError and never run twice,
// and subscriptions keep delivering without the subscribers doing anything.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { rejection } from '../support/rejections.js';
import { failuresOf, firstSuccessAfter, isAlive, singleLeader, sleep, startTrace, stopTrace, type Outcome } from './helpers.js';

const LEADER_LOST = 'ERR_ONELINK_LEADER_LOST';
/** Generous: the machine running the tests is loaded; failover itself takes far less. */
const FAILOVER_BOUND_MS = 5000;

interface Traces {
  pid: Outcome[];
  record: Outcome[];
  echo: { ok: number; failed: Record<string, number> };
}

/** In each worker: an idempotent pid loop, an idempotent echo loop, a non-idempotent record loop. */
async function startLoops(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(workers.flatMap((w) => [
    startTrace(w, 'pid', 'pid'),
    // 20 ms inside the leader per call: a record call is almost always in flight when the leader dies.
    startTrace(w, 'record', 'record', [20], true),
    w.call('loop', { tag: 'echo', method: 'echo', args: [{ nested: { list: [1, 'two', null] }, at: 'payload' }] }),
  ]));
}

async function stopLoops(workers: WorkerProcess[]): Promise<Traces[]> {
  return Promise.all(workers.map(async (w) => ({
    pid: await stopTrace(w, 'pid'),
    record: await stopTrace(w, 'record'),
    echo: await w.call('stopLoop', { tag: 'echo' }),
  })));
}

/** Kills the current leader with SIGKILL and waits for the survivors to agree on a new one. */
async function killLeader(workers: WorkerProcess[]): Promise<{ killedAt: number; old: WorkerProcess; next: WorkerProcess }> {
  const old = await leaderOf(workers.filter(isAlive));
  const killedAt = Date.now();
  await old.kill('SIGKILL');
  const next = await singleLeader(workers, 10000);
  assert.notEqual(next.pid, old.pid);
  return { killedAt, old, next };
}

function assertIdempotentLoopsNeverFailed(traces: Traces[]): void {
  for (const t of traces) {
    assert.deepEqual(failuresOf(t.pid), {}, 'the idempotent pid loop had failures');
    assert.deepEqual(t.echo.failed, {}, 'the idempotent echo loop had failures');
    assert.ok(t.echo.ok > 0 && t.pid.length > 0, 'the idempotent loops made no calls');
  }
}

/**
 * Every record call that failed failed with LeaderLostError, and the new leader's log holds exactly
 * the calls that reported success from it: nothing failed ran there, nothing ran on both leaders.
 */
function assertRecordedExactlyOnce(traces: Traces[], recorded: string[], leaderPid: number): void {
  assert.equal(new Set(recorded).size, recorded.length, 'a record call ran twice on the new leader');
  const reportedHere = new Set<string>();
  for (const t of traces) {
    for (const o of t.record) {
      if (!o.ok) assert.equal(o.code, LEADER_LOST, `record failed with ${o.code}, expected only ${LEADER_LOST}`);
      else if (o.value === leaderPid) reportedHere.add(o.token!);
    }
  }
  const recordedSet = new Set(recorded);
  const ranWithoutSuccess = recorded.filter((token) => !reportedHere.has(token));
  assert.deepEqual(ranWithoutSuccess, [], 'calls ran on the new leader that their caller saw fail or saw run elsewhere');
  const missing = [...reportedHere].filter((token) => !recordedSet.has(token));
  assert.deepEqual(missing, [], 'calls reported success from the new leader but it has no record of them');
}

function report(label: string, killedAt: number, traces: Traces[], survivors: WorkerProcess[], leaderPid: number): number[] {
  const times = traces.map((t) => firstSuccessAfter(t.pid, killedAt, leaderPid));
  const lost = traces.map((t) => t.record.filter((o) => !o.ok).length);
  console.log(`      ${label}: kill → first successful call per follower (ms): ${survivors.map((w, i) => `${w.pid}=${times[i] ?? 'none'}`).join(', ')}; ` +
    `LeaderLostError per follower: ${lost.join(', ')}`);
  for (const [i, ms] of times.entries()) {
    assert.ok(ms !== undefined, `follower ${survivors[i]!.pid} never reached the new leader`);
    assert.ok(ms < FAILOVER_BOUND_MS, `follower ${survivors[i]!.pid} took ${ms} ms to reach the new leader`);
  }
  return times as number[];
}

describe('scenario: kill -9 of the leader under call loops', function () {
  this.timeout(60000);

  describe('one kill, 4 processes', () => {
    let workers: WorkerProcess[] = [];
    after(() => killAll(workers));

    it('elects exactly one new leader; idempotent calls never fail; in-flight non-idempotent calls fail with LeaderLostError, never run twice; subscriptions still deliver', async () => {
      const port = await freePort();
      workers = await startWorkers(4, { port });
      const leader = await leaderOf(workers);
      const followers = workers.filter((w) => w !== leader);

      await Promise.all(followers.map((w) => w.call('subscribe', { tag: 'sub', reg: { key: 'k' } })));
      await followers[0]!.invoke('trigger', 'k', 'before');
      await Promise.all(followers.map((w) => w.waitForValues('sub', 1)));

      await startLoops(followers);
      // One long non-idempotent call per follower, certainly in flight at the kill.
      const slowCalls = followers.map((w) => rejection(w.invoke('slow', 10000)));
      await sleep(300);

      const { killedAt, next } = await killLeader(workers);

      for (const err of await Promise.all(slowCalls)) {
        assert.equal(err.code, LEADER_LOST);
        assert.equal(err.name, 'LeaderLostError');
      }

      // The new leader subscribes upstream again (once), and a value it produces reaches every follower.
      assert.equal(await next.invoke('upstreamSubscriptions', 'k'), 1);
      assert.equal(await next.invoke('trigger', 'k', 'after'), 1);
      await Promise.all(followers.map((w) => w.waitForValues('sub', 2)));
      await sleep(100); // a duplicated subscription would deliver a second copy by now
      for (const w of followers) assert.deepEqual(w.values.get('sub'), ['before', 'after'], `values seen by ${w.pid}`);

      await sleep(300); // let the loops run on the new leader for a while
      const traces = await stopLoops(followers);

      assertIdempotentLoopsNeverFailed(traces);
      assertRecordedExactlyOnce(traces, await next.invoke<string[]>('recorded'), next.pid);
      for (const t of traces) assert.ok(t.record.filter((o) => !o.ok).length <= 1, 'more than one record call of a follower was in flight at the kill');
      assert.equal(await next.invoke('instanceCount'), 1, 'the new leader created more than one DataClient');
      report('one kill', killedAt, traces, followers, next.pid);
    });
  });

  describe('two kills in a row, 4 processes', () => {
    let workers: WorkerProcess[] = [];
    after(() => killAll(workers));

    it('kills the new leader as soon as it is elected: still exactly one leader and no failed idempotent call', async () => {
      const port = await freePort();
      workers = await startWorkers(4, { port });
      const first = await leaderOf(workers);
      const followers = workers.filter((w) => w !== first);
      await Promise.all(followers.map((w) => w.call('subscribe', { tag: 'sub', reg: { key: 'k' } })));

      await startLoops(followers);
      await sleep(300);
      const firstKill = await killLeader(workers);
      const secondKill = await killLeader(workers);
      const survivors = followers.filter(isAlive);
      assert.equal(survivors.length, 2);
      assert.equal((await singleLeader(survivors)).pid, secondKill.next.pid);

      await secondKill.next.invoke('trigger', 'k', 'third leader');
      for (const w of survivors) {
        await w.waitForValues('sub', 1);
        assert.equal(w.values.get('sub')!.at(-1), 'third leader');
      }

      await sleep(300);
      const traces = await stopLoops(survivors);
      assertIdempotentLoopsNeverFailed(traces);
      assertRecordedExactlyOnce(traces, await secondKill.next.invoke<string[]>('recorded'), secondKill.next.pid);
      console.log(`      two kills: second kill ${secondKill.killedAt - firstKill.killedAt} ms after the first`);
      report('two kills', secondKill.killedAt, traces, survivors, secondKill.next.pid);
    });
  });
});
