// Every call settles, and settles honestly: a call too large for a frame fails before it is sent,
// a leader never starts a call its caller already gave up on (even after SIGSTOP), and a leader
// closing gracefully answers every call it started and refuses the rest unstarted.
import assert from 'node:assert/strict';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { rejection } from '../support/rejections.js';
import { failuresOf, isAlive, singleLeader, sleep, startTrace, stopTrace, type Outcome } from './helpers.js';

interface Execution {
  token: string;
  at: number;
}

async function executionsIn(workers: WorkerProcess[]): Promise<Map<string, number>> {
  const all = new Map<string, number>();
  for (const w of workers.filter(isAlive)) {
    for (const e of await w.call<Execution[]>('executions')) all.set(e.token, e.at);
  }
  return all;
}

describe('scenario: every call settles', function () {
  this.timeout(60000);
  let workers: WorkerProcess[] = [];

  afterEach(async () => {
    for (const w of workers) if (isAlive(w)) w.child.kill('SIGCONT');
    await killAll(workers);
    workers = [];
  });

  it('a call larger than maxFrameSize fails before it is sent, a result too large comes back as the error, and the link stays up', async () => {
    const port = await freePort();
    workers = await startWorkers(2, { port, options: { maxFrameSize: 64 * 1024 } });
    const leader = await leaderOf(workers);
    const follower = workers.find((w) => w !== leader)!;
    await startTrace(follower, 'pid', 'pid');
    const started = Date.now();
    const tooLarge = await rejection(follower.invoke('echo', 'x'.repeat(100 * 1024)));
    const ms = Date.now() - started;
    assert.equal(tooLarge.code, 'ERR_ONELINK_FRAME_TOO_LARGE');
    assert.match(tooLarge.message, /65536/);
    const result = await rejection(follower.invoke('big', 100 * 1024));
    assert.equal(result.code, 'ERR_ONELINK_FRAME_TOO_LARGE');
    // The same calls in the leader's own process fail alike.
    assert.equal(await leader.invoke('echo', 'x'.repeat(100 * 1024)).then(() => 'resolved', (err) => err.code), 'ERR_ONELINK_FRAME_TOO_LARGE');
    await sleep(200);
    const outcomes = await stopTrace(follower, 'pid');
    assert.deepEqual(failuresOf(outcomes), {}, 'the other calls all succeeded');
    assert.ok(outcomes.every((o) => o.value === leader.pid), 'on the same leader, whose link stayed up');
    console.log(`      oversized idempotent call: settled in ${ms} ms with ERR_ONELINK_FRAME_TOO_LARGE; ${outcomes.length} other calls succeeded meanwhile`);
  });

  it('a leader resumed after SIGSTOP starts no call whose caller already timed out', async () => {
    const port = await freePort();
    // Heartbeats slow enough that the stopped leader keeps its followers: their calls time out and wait in its socket.
    const options = { responseTimeout: 300, heartbeatInterval: 2000, heartbeatMaxMisses: 5 };
    workers = await startWorkers(3, { port, options });
    const leader = await leaderOf(workers);
    const followers = workers.filter((w) => w !== leader);
    for (const w of followers) await startTrace(w, 'record', 'record', [], true);
    await sleep(200);
    leader.child.kill('SIGSTOP');
    await sleep(1500);
    leader.child.kill('SIGCONT');
    await sleep(800);
    const outcomes: Outcome[] = (await Promise.all(followers.map((w) => stopTrace(w, 'record')))).flat();
    const executions = await executionsIn(workers);
    const timedOut = outcomes.filter((o) => o.code === 'ERR_ONELINK_RESPONSE_TIMEOUT');
    const executedLate = timedOut.filter((o) => executions.has(o.token!) && executions.get(o.token!)! > o.at);
    assert.ok(timedOut.length > 0, 'calls timed out while the leader was stopped');
    assert.equal(executedLate.length, 0, `${executedLate.length} calls ran after their caller's timeout`);
    console.log(`      SIGSTOP 1.5 s: ${timedOut.length} calls timed out; executed after their caller's timeout: ${executedLate.length}`);
  });

  it('a graceful close answers every call it started and refuses the rest unstarted, which the next leader runs', async () => {
    const port = await freePort();
    workers = await startWorkers(5, { port, options: { responseTimeout: 2000, maxWaitTime: 5000 } });
    let lostExecuted = 0;
    let lost = 0;
    let succeeded = 0;
    for (let round = 0; round < 3; round++) {
      const leader = await singleLeader(workers);
      const followers = workers.filter((w) => w !== leader && isAlive(w));
      // 5 ms in the leader per call: calls are in flight, and more arrive, while it closes.
      for (const w of followers) await startTrace(w, `r${round}`, 'record', [5], true);
      await sleep(150);
      await leader.call('close');
      await singleLeader(followers);
      await sleep(150);
      const outcomes = (await Promise.all(followers.map((w) => stopTrace(w, `r${round}`)))).flat();
      const executions = await executionsIn(workers);
      const leaderLost = outcomes.filter((o) => o.code === 'ERR_ONELINK_LEADER_LOST');
      lost += leaderLost.length;
      lostExecuted += leaderLost.filter((o) => executions.has(o.token!)).length;
      succeeded += outcomes.filter((o) => o.ok).length;
      const unexpected = Object.keys(failuresOf(outcomes)).filter((code) => code !== 'ERR_ONELINK_LEADER_LOST');
      assert.deepEqual(unexpected, [], `round ${round}: ${JSON.stringify(failuresOf(outcomes))}`);
      for (const o of outcomes.filter((x) => x.ok)) assert.ok(executions.has(o.token!), 'a call reported done ran');
      await leader.kill();
    }
    assert.equal(lostExecuted, 0, `${lostExecuted} of ${lost} calls reported LeaderLostError had run`);
    console.log(`      graceful close ×3: ${succeeded} calls succeeded; ${lost} LeaderLostError, of which executed: ${lostExecuted}`);
  });

  it('closing a client with calls in flight rejects them with ClientClosedError', async () => {
    const port = await freePort();
    workers = await startWorkers(2, { port });
    const leader = await leaderOf(workers);
    const follower = workers.find((w) => w !== leader)!;
    const inflight = [rejection(follower.invoke('slow', 500)), rejection(follower.invoke('slow', 600))];
    await sleep(50);
    await follower.call('close');
    for (const err of await Promise.all(inflight)) assert.equal(err.code, 'ERR_ONELINK_CLIENT_CLOSED');
  });
});
