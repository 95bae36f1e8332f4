// Calls across 3 real processes sharing one leader: election, payloads, call styles, errors,
// events, what the leader refuses, response timeouts, fairness, and a follower closing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { MethodNotDelegatedError, OptionsMismatchError, ResponseTimeoutError } from '../../lib/index.js';
import { createEchoClient, WORKER_DELEGATES, type SeenError, type TypedResult } from '../fixtures/extra-clients.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import { rejection, rejectionOf } from '../support/rejections.js';
import type { LoopCounts } from '../support/worker-messages.js';
import { freePort } from '../support/servers.js';
import { createClient, onClient, RawPeer, waitFor, workerAgreement } from './helpers.js';

describe('calls across 3 processes', function () {
  this.timeout(30000);
  let port: number;
  let workers: WorkerProcess[] = [];
  let leader: WorkerProcess;
  let followers: WorkerProcess[];
  let readyResults: Array<{ ok: boolean; leader?: boolean }>;

  before(async () => {
    port = await freePort();
    workers = await startWorkers(3, { port });
    readyResults = await Promise.all(workers.map((w) => w.ready));
    leader = await leaderOf(workers);
    followers = workers.filter((w) => w !== leader);
    // A second client of the same channel in every process, for calls that pass Buffers as a user would.
    await Promise.all(workers.map((w) => createClient(w, { id: 'typed', port })));
  });
  after(() => killAll(workers));

  it('elects exactly one leader among 3 processes started together, holding one DataClient', async () => {
    assert.ok(readyResults.every((r) => r.ok), JSON.stringify(readyResults));
    assert.equal(readyResults.filter((r) => r.leader).length, 1);
    assert.equal(readyResults[workers.indexOf(leader)].leader, true, 'isClusterClientLeader of the process that leads');
    for (const w of workers) assert.equal(await w.invoke('pid'), leader.pid);
    assert.equal(await leader.invoke('instanceCount'), 1);
  });

  it('carries nested objects, Dates, unicode (astral too), null and undefined both ways', async () => {
    const value = {
      nested: { list: [1, -2.5, { deep: ['x', true, false] }], empty: {}, none: null },
      when: new Date('2024-02-29T12:34:56.789Z'),
      text: 'héllo wörld — 中文 — 😀🎉 — 𝄞 𐍈',
      big: Number.MAX_SAFE_INTEGER,
    };
    for (const w of [followers[0], leader]) {
      assert.deepEqual(await w.invoke('echo', value), value);
      assert.equal(await w.invoke('echo', null), null);
      assert.equal(await w.invoke('echo', undefined), undefined);
      const date = await onClient<TypedResult>(w, 'typed', 'invokeTyped', { method: 'echo', args: [value.when] });
      assert.equal(date.kind, 'Date');
      assert.ok(date.value instanceof Date);
      assert.equal(date.value.getTime(), value.when.getTime());
    }
  });

  it('carries Buffers holding every byte value, alone and nested, as Buffers', async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (const w of [followers[0], leader]) {
      const alone = await onClient<TypedResult>(w, 'typed', 'invokeTyped', { method: 'echo', args: [bytes] });
      assert.equal(alone.kind, 'Buffer');
      assert.ok(alone.value instanceof Uint8Array);
      assert.ok(bytes.equals(Buffer.from(alone.value)));
      const nested = await onClient<{ bytes: Uint8Array; list: Uint8Array[] }>(w, 'typed', 'invoke', { method: 'echo', args: [{ bytes, list: [bytes.subarray(250)] }] });
      assert.ok(bytes.equals(Buffer.from(nested.bytes)));
      assert.ok(bytes.subarray(250).equals(Buffer.from(nested.list[0])));
    }
  });

  it('carries a 1 MiB Buffer and a 1 MiB string', async () => {
    const buffer = randomBytes(1024 * 1024);
    const text = 'aé中😀'.repeat(1024 * 1024 / 5).padEnd(1024 * 1024, 'z');
    const echoed = await onClient<TypedResult>(followers[0], 'typed', 'invokeTyped', { method: 'echo', args: [buffer] });
    assert.equal(echoed.kind, 'Buffer');
    assert.ok(echoed.value instanceof Uint8Array);
    assert.ok(buffer.equals(Buffer.from(echoed.value)));
    const inObject = await followers[1].invoke<{ buffer: Uint8Array }>('echo', { buffer });
    assert.ok(buffer.equals(Buffer.from(inObject.buffer)));
    const echoedText = await followers[1].invoke<string>('echo', text);
    assert.equal(echoedText.length, text.length);
    assert.equal(echoedText, text);
  });

  it('answers promise-style and callback-style calls to async, sync and node-callback methods', async () => {
    for (const w of [followers[0], leader]) {
      assert.deepEqual(await w.invoke('echo', [1, 2]), [1, 2]);
      assert.deepEqual(await w.call('callback', { method: 'echo', args: [[1, 2]] }), [1, 2]);
      assert.equal(await w.invoke('syncValue', 2, 40), 42);
      assert.equal(await w.call('callback', { method: 'syncValue', args: [2, 40] }), 42);
      assert.equal(await w.invoke('callbackStyle', 'abc'), 'ABC');
      assert.equal(await w.call('callback', { method: 'callbackStyle', args: ['abc'] }), 'ABC');
    }
  });

  it('runs an invokeOneway call on the leader and sends nothing back', async () => {
    const before = leader.events.filter((e) => e.event === 'noop').length;
    assert.equal(await followers[0].invoke('noop', { from: 'follower' }), undefined);
    const seen = await waitFor('the oneway call on the leader', () => {
      const noops = leader.events.filter((e) => e.event === 'noop');
      return noops.length > before && noops;
    });
    assert.deepEqual(seen[seen.length - 1].value, { from: 'follower' });
  });

  it('re-emits the DataClient’s events from the client in the leader process', async () => {
    await followers[1].invoke('emitEvent', 'custom', { n: 7 });
    const event = await waitFor('the custom event in the leader', () => leader.events.find((e) => e.event === 'custom'));
    assert.deepEqual(event.value, { n: 7 });
  });

  it('delivers an async error with name, message, code, stack and other own properties', async () => {
    const props = { message: 'upstream refused', code: 'ERR_UPSTREAM', status: 503, detail: { retryAfter: 2, hosts: ['a', 'b'] } };
    for (const w of [followers[0], leader]) {
      const err = await rejection(w.invoke('fail', props), 'fail()');
      assert.equal(err.name, 'TypeError');
      assert.equal(err.message, 'upstream refused');
      assert.equal(err.code, 'ERR_UPSTREAM');
      assert.equal(err.status, 503);
      assert.deepEqual(err.detail, props.detail);
      // The stack is the one thrown in the leader's DataClient.
      assert.match(err.stack ?? '', /TypeError: upstream refused/);
      assert.match(err.stack ?? '', /echo-client/);
    }
  });

  it('survives a synchronous throw in the DataClient and keeps serving', async () => {
    for (const w of [followers[0], leader]) {
      const err = await rejection(w.invoke('syncThrow', 'sync boom'), 'syncThrow()');
      assert.equal(err.name, 'RangeError');
      assert.equal(err.message, 'sync boom');
      assert.equal(err.code, 'ERR_SYNC');
    }
    assert.equal(leader.child.exitCode, null);
    assert.equal(await followers[1].invoke('pid'), leader.pid);
    assert.equal(await followers[1].invoke('syncValue', 1, 1), 2);
  });

  it('delivers a node-callback error, promise-style and callback-style', async () => {
    const promised = await rejection(followers[0].invoke('callbackStyle', 'bad'));
    assert.equal(promised.message, 'bad value');
    assert.equal(promised.code, 'ERR_CB');
    const called = await rejection(followers[0].call('callback', { method: 'callbackStyle', args: ['bad'] }));
    assert.equal(called.code, 'ERR_CB');
  });

  it('refuses, with MethodNotDelegatedError, a frame asking for a method that is not delegated', async () => {
    const peer = await RawPeer.connect(port);
    try {
      const opened = await peer.open('echo', workerAgreement('echo', port));
      assert.equal(opened.error, false, JSON.stringify(opened.value));
      const ok = await peer.invoke('echo', 'echo', ['raw']);
      assert.deepEqual(ok, { error: false, value: 'raw' });
      // emit: a method of the DataClient that is not delegated; subscribe: delegated, but not as invoke.
      for (const method of ['emit', 'subscribe', 'noSuchMethod', 'constructor']) {
        const refused = await peer.invoke('echo', method, ['x']);
        assert.equal(refused.error, true, method);
        const wire = refused.value as Record<string, unknown>;
        assert.equal(wire.code, new MethodNotDelegatedError(method, 'echo').code, method);
        assert.equal(wire.name, 'MethodNotDelegatedError');
        assert.match(String(wire.message), new RegExp(method));
      }
    } finally {
      peer.close();
    }
    assert.equal(await followers[0].invoke('pid'), leader.pid, 'the leader still serves');
  });

  it('gives a follower the onelink errors raised in the leader as instances of their class, with their code', async () => {
    const cases = [
      { kind: 'not-delegated', expected: 'MethodNotDelegatedError', code: 'ERR_ONELINK_METHOD_NOT_DELEGATED', message: /"inner" is not a delegated method of client "upstream"/ },
      { kind: 'store-closed', expected: 'StoreClosedError', code: 'ERR_ONELINK_STORE_CLOSED', message: /memory store is closed/ },
    ];
    for (const w of [...followers, leader]) {
      for (const { kind, expected, code, message } of cases) {
        const seen = await onClient<SeenError>(w, 'typed', 'invokeError', { method: 'failWithOnelinkError', args: [kind], expected });
        const where = `${kind} in ${w === leader ? 'the leader' : 'a follower'}: ${JSON.stringify(seen)}`;
        assert.ok(seen.rejected, where);
        assert.equal(seen.instanceOfExpected, true, where);
        assert.equal(seen.instanceOfOnelinkError, true, where);
        assert.equal(seen.constructorName, expected, where);
        assert.equal(seen.name, expected, where);
        assert.equal(seen.code, code, where);
        assert.match(seen.message, message, where);
        assert.match(seen.stack ?? '', /failWithOnelinkError/, where);
      }
    }
  });

  it('fails ready() with OptionsMismatchError for a follower with another delegate list', async () => {
    const client = createEchoClient({ port, delegates: { ...WORKER_DELEGATES, noop: 'invoke', increment: 'invokeOneway' } });
    try {
      const err = await rejectionOf(client.ready(), 'ready()');
      assert.ok(err instanceof OptionsMismatchError, String(err));
      assert.equal(err.code, 'ERR_ONELINK_OPTIONS_MISMATCH');
      assert.equal(err.name, OptionsMismatchError.name);
      assert.match(err.message, /delegate "noop": leader invokeOneway, follower invoke/);
      assert.match(err.message, /delegate "increment": leader invoke, follower invokeOneway/);
      await assert.rejects(client.echo('x'), { code: 'ERR_ONELINK_OPTIONS_MISMATCH' });
    } finally {
      await client.close();
    }
  });

  it('fails a call with ResponseTimeoutError after responseTimeout, and keeps the link', async () => {
    // This process is a follower with a short responseTimeout.
    const client = createEchoClient({ port, options: { responseTimeout: 300 } });
    try {
      await client.ready();
      assert.equal(client.isClusterClientLeader, false);
      const started = Date.now();
      const err = await rejectionOf(client.slow(2000), 'slow()');
      assert.ok(err instanceof ResponseTimeoutError, String(err));
      assert.equal(err.code, 'ERR_ONELINK_RESPONSE_TIMEOUT');
      assert.match(err.message, /slow/);
      assert.ok(Date.now() - started < 1900, `timed out after ${Date.now() - started} ms`);
      assert.equal(await client.pid(), leader.pid);
    } finally {
      await client.close();
    }
  });

  it('keeps serving followers while the leader process calls its DataClient in a tight loop', async () => {
    await leader.call('loop', { tag: 'busy', method: 'echo', args: ['leader'] });
    try {
      const calls = followers.flatMap((f) => Array.from({ length: 100 }, (_, i) => f.invoke('echo', i).then((v) => assert.equal(v, i))));
      await Promise.all(calls);
    } finally {
      const loop = await leader.call<LoopCounts>('stopLoop', { tag: 'busy' });
      assert.ok(loop.ok > 0, 'the leader loop ran');
      assert.deepEqual(loop.failed, {});
    }
  });

  it('closing a follower leaves the leader and the other followers working', async () => {
    const [closing, staying] = followers;
    await closing.call('close');
    await onClient(closing, 'typed', 'close');
    await assert.rejects(closing.invoke('echo', 1), { code: 'ERR_ONELINK_CLIENT_CLOSED' });
    assert.equal(await staying.invoke('pid'), leader.pid);
    assert.equal(await leader.call('isLeader'), true);
    assert.equal(await leader.invoke('instanceCount'), 1);
  });

  it('delegates sync methods with autoGenerate alone, and runs them in the leader', async () => {
    // No delegate() at all: the client's methods are what autoGenerate made of EchoClient.
    const auto = { id: 'auto', port, name: 'auto-generated', delegates: {} };
    await createClient(leader, auto);
    // Runs last (it adds a DataClient to the leader): the follower still open is the second one.
    const follower = followers[1];
    await createClient(follower, auto);
    assert.equal(await onClient(follower, 'auto', 'invoke', { method: 'pid' }), leader.pid);
    assert.equal(await onClient(follower, 'auto', 'invoke', { method: 'syncValue', args: [2, 40] }), 42);
    assert.equal(await onClient(follower, 'auto', 'callback', { method: 'syncValue', args: [1, 1] }), 2);
    assert.equal(await onClient(follower, 'auto', 'invoke', { method: 'callbackStyle', args: ['abc'] }), 'ABC');
    await assert.rejects(onClient(follower, 'auto', 'invoke', { method: 'syncThrow', args: ['sync boom'] }), { name: 'RangeError', code: 'ERR_SYNC', message: 'sync boom' });
    // noop is a sync method returning nothing: it ran in the leader, which emitted its event there.
    assert.equal(await onClient(follower, 'auto', 'invoke', { method: 'noop', args: ['auto'] }), undefined);
    await waitFor('the auto-generated noop on the leader', () => leader.events.some((e) => e.event === 'auto:noop' && e.value === 'auto'));
    await onClient(follower, 'auto', 'close');
    await onClient(leader, 'auto', 'close');
  });
});
