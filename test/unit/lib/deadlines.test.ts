// Every wait is bounded: calls waiting for a leader (per channel maxWaitTime, maxQueuedCalls) and
// requests waiting for their response (per request timeout), both swept by one DeadlineSweep.
import { EMPTY, encodeConnection, Op } from '../../../protocol/index.js';
import assert from 'node:assert/strict';
import { mock } from 'node:test';
import type { LocalChannel, Route } from '../../../lib/channel.js';
import { NoLeaderError, ResponseTimeoutError } from '../../../lib/errors.js';
import { LeaderLink } from '../../../lib/follower/link.js';
import { LinkLostError } from '../../../lib/follower/link-errors.js';
import type { Endpoint } from '../../../lib/transport/connection.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { WaitQueue } from '../../../lib/wait-queue.js';
import { channelOf, muteLeader, testIdentity, transportOptions } from './helpers.js';

class Plain {
  async get(): Promise<number> {
    return 1;
  }
}

interface Outcome {
  settled: boolean;
  error?: unknown;
  value?: unknown;
}

function watch(promise: Promise<unknown>): Outcome {
  const outcome: Outcome = { settled: false };
  promise.then(
    (value) => Object.assign(outcome, { settled: true, value }),
    (error) => Object.assign(outcome, { settled: true, error }),
  );
  return outcome;
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('wait queue: calls waiting for a leader', () => {
  let channels: Map<string, LocalChannel>;
  let queue: WaitQueue;

  beforeEach(() => {
    mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'], now: 1_000_000 });
    channels = new Map();
    queue = new WaitQueue(channels, { maxQueuedCalls: 3, where: '127.0.0.1:1' });
  });

  afterEach(() => {
    queue.stop();
    mock.timers.reset();
  });

  function channel(name: string, maxWaitTime: number): LocalChannel {
    const created = channelOf(Plain, { name, maxWaitTime });
    channels.set(name, created);
    return created;
  }

  it('fails each waiting call after its own channel\'s maxWaitTime, even when another channel of the port waits longer', async () => {
    const patient = channel('patient', 10_000);
    const hasty = channel('hasty', 100);
    const slow = watch(queue.enqueue(patient, async () => 'late'));
    const fast = watch(queue.enqueue(hasty, async () => 'late'));
    mock.timers.tick(90);
    await flush();
    assert.equal(fast.settled, false, 'not before its deadline');
    mock.timers.tick(30); // 120 ms: past the hasty channel's deadline by less than a tenth of the patient one's wait
    await flush();
    assert.ok(fast.error instanceof NoLeaderError, `expected a NoLeaderError, got ${String(fast.error)}`);
    assert.match(String((fast.error as Error).message), /no leader for "hasty" on 127\.0\.0\.1:1 within maxWaitTime \(100 ms\)/);
    assert.equal(slow.settled, false);
    mock.timers.tick(10_000);
    await flush();
    assert.ok(slow.error instanceof NoLeaderError);
  });

  it('runs the waiting calls on the route their channel opens, in order', async () => {
    const waiting = channel('waiting', 1000);
    const ran: number[] = [];
    const calls = [1, 2, 3].map((n) => queue.enqueue(waiting, async () => {
      ran.push(n);
      return n;
    }));
    waiting.open({ kind: 'remote' } as unknown as Route);
    assert.deepEqual(await Promise.all(calls), [1, 2, 3]);
    assert.deepEqual(ran, [1, 2, 3]);
  });

  it('fails a call at once with NoLeaderError when maxQueuedCalls calls of the port already wait', async () => {
    const a = channel('a', 1000);
    const b = channel('b', 1000);
    for (let i = 0; i < 3; i++) watch(queue.enqueue(i === 0 ? a : b, async () => undefined));
    const over = watch(queue.enqueue(a, async () => undefined));
    await flush();
    assert.ok(over.error instanceof NoLeaderError);
    assert.match(String((over.error as Error).message), /3 calls already wait for one \(maxQueuedCalls\)/);
  });
});

describe('leader link: requests waiting for their response', () => {
  const endpoint: Endpoint = { kind: 'tcp', port: 1 };
  const handler = { onPush() {}, onHandover() {}, onLost() {} };

  it('fails each request with ResponseTimeoutError after its own timeout, the shortest first', async () => {
    const network = new MemoryNetwork();
    muteLeader(network, endpoint);
    const link = await LeaderLink.connect(network, endpoint, testIdentity, { ...transportOptions, connectTimeout: 1000 }, handler);
    const request = encodeConnection([Op.INVOKE, 'name', 'get']);
    const long = watch(link.request(request, 0, EMPTY, 'long', 5000));
    const short = watch(link.request(request, 0, EMPTY, 'short', 40));
    await new Promise<void>((resolve) => {
      const check = () => (short.settled ? resolve() : setTimeout(check, 5));
      check();
    });
    assert.ok(short.error instanceof ResponseTimeoutError);
    assert.equal((short.error as ResponseTimeoutError).code, 'ERR_ONELINK_RESPONSE_TIMEOUT');
    assert.match((short.error as Error).message, /no response to "short" within 40 ms/);
    assert.equal(long.settled, false);
    link.destroy();
    await flush();
    await flush();
    assert.ok(long.error instanceof LinkLostError, `expected a LinkLostError, got ${String(long.error)}`);
    assert.equal((long.error as LinkLostError).code, 'ERR_ONELINK_LINK_LOST');
  });
});
