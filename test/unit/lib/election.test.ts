// The election over the in-memory network: what it makes of an endpoint that is free, refuses,
// resets, stays silent, answers foreign bytes or is held by a leader.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AuthError, encodeFrame, encodeValue, FrameKind, LeaderHandshake } from '../../../protocol/index.js';
import { defaults } from '../../../lib/options.js';
import { Election, RACE_ROUNDS, type ElectionHandler, type ElectionOptions } from '../../../lib/election.js';
import { HandshakeError, NoLeaderError, NotLeaderError } from '../../../lib/errors.js';
import type { LeaderLink } from '../../../lib/follower/link.js';
import { DataClientPool } from '../../../lib/leader/pool.js';
import { LeaderServer } from '../../../lib/leader/server.js';
import type { Endpoint, Listener } from '../../../lib/transport/connection.js';
import { FramedTransport } from '../../../lib/transport/framed.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { quietLogger, testIdentity, transportOptions } from './helpers.js';

const endpoint: Endpoint = { kind: 'tcp', port: 1 };
const where = '127.0.0.1:1';

/** A leader's hello saying `version`, in a frame whose header says `frameVersion`. */
function helloFrame(frameVersion: number, version: number): Buffer {
  const frame = encodeFrame(FrameKind.REQUEST, 0, 0, 0, encodeValue({ magic: 'onelink', version, pid: 1, role: 'leader' }), Buffer.alloc(0));
  frame[0] = frameVersion;
  return frame;
}

type Outcome = { role: 'leader'; listener: Listener } | { role: 'follower'; link: LeaderLink } | { role: 'failed'; error: Error };

/** Records what the election reports; `outcome()` resolves with the next won / following / failed. */
class Recorder implements ElectionHandler {
  elections = 0;
  private readonly outcomes: Outcome[] = [];
  private waiting: ((outcome: Outcome) => void) | null = null;

  electing(): void {
    this.elections++;
  }
  connecting(): void {}
  won(listener: Listener): void {
    this.report({ role: 'leader', listener });
  }
  following(link: LeaderLink): void {
    this.report({ role: 'follower', link });
  }
  failed(error: Error): void {
    this.report({ role: 'failed', error });
  }
  onPush(): void {}
  onHandover(): void {}
  onLost(): void {}

  outcome(): Promise<Outcome> {
    const next = this.outcomes.shift();
    if (next) return Promise.resolve(next);
    return new Promise((resolve) => (this.waiting = resolve));
  }

  private report(outcome: Outcome): void {
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) waiting(outcome);
    else this.outcomes.push(outcome);
  }
}

describe('election', () => {
  let network: MemoryNetwork;
  let elections: Election[];

  beforeEach(() => {
    network = new MemoryNetwork();
    elections = [];
  });

  afterEach(() => {
    for (const election of elections) election.stop();
  });

  function elect(options: Partial<ElectionOptions> & { afterLoss?: boolean } = {}): Recorder {
    const recorder = new Recorder();
    const election = new Election(network, {
      endpoint,
      isLeader: undefined,
      maxWaitTime: 2000,
      identity: async () => testIdentity,
      link: { ...transportOptions, connectTimeout: 50 },
      logger: quietLogger,
      ...options,
    }, recorder);
    elections.push(election);
    election.start(options.afterLoss ?? false);
    return recorder;
  }

  const connects = () => network.connects.get(where) ?? 0;

  it('leads a free endpoint', async () => {
    assert.equal((await elect().outcome()).role, 'leader');
    assert.equal(connects(), 0);
  });

  it('takes the endpoint of a leader that refuses, then resets, connections while it dies', async () => {
    network.hold(endpoint, 'refuse', 1);
    assert.equal((await elect().outcome()).role, 'leader');
    assert.equal(connects(), 1);

    network = new MemoryNetwork();
    network.hold(endpoint, 'reset', RACE_ROUNDS + 2); // longer than the immediate rounds: the backoff takes over
    assert.equal((await elect().outcome()).role, 'leader');
    assert.equal(connects(), RACE_ROUNDS + 2);
  });

  it('follows the leader that holds the endpoint', async () => {
    const pool = new DataClientPool(new Map(), { maxWaitTime: 100, logger: quietLogger, where: 'the test endpoint' });
    const server = new LeaderServer((await network.listen(endpoint))!, pool, { transport: transportOptions, connectTimeout: 100, identity: testIdentity, logger: quietLogger, endpoint: 'memory', failovers: () => ({ failovers: 0, lastFailoverMs: null }), limits: defaults });
    const outcome = await elect({ isLeader: false }).outcome();
    assert.equal(outcome.role, 'follower');
    assert.equal(outcome.role === 'follower' && outcome.link.leaderPid, process.pid);
    if (outcome.role === 'follower') outcome.link.destroy();
    await server.close(new Map(), 10);
  });

  it('fails with AuthError when the holder cannot prove the key, and leads once it is gone', async () => {
    let hellos = 0;
    network.hold(endpoint, (connection) => {
      // A onelink leader of another key (another user or application): its proof cannot check.
      const handshake = new LeaderHandshake({ ...testIdentity, key: randomBytes(32) });
      const transport: FramedTransport = new FramedTransport(connection, {
        onFrame: (frame) => {
          hellos++;
          transport.sendEncoded(handshake.acceptHello(frame).reply);
        },
        onClose() {},
      }, transportOptions);
    });
    const recorder = elect({ maxWaitTime: 5000 });
    const outcome = await recorder.outcome();
    assert.ok(outcome.role === 'failed' && outcome.error instanceof AuthError, JSON.stringify(outcome));
    assert.equal(outcome.error.code, 'ERR_ONELINK_AUTH');
    assert.match(outcome.error.message, new RegExp(`^${where.replace(/\./g, '\\.')} is held by a process that cannot prove it holds this application's key`));
    assert.equal(hellos, 1, 'the follower sent more than its hello');
    network.release(endpoint);
    assert.equal((await recorder.outcome()).role, 'leader', 'the election did not try again once the holder was gone');
  });

  it('fails with NotLeaderError when isLeader is true and another process holds the endpoint', async () => {
    network.hold(endpoint, 'silent');
    const outcome = await elect({ isLeader: true }).outcome();
    assert.ok(outcome.role === 'failed' && outcome.error instanceof NotLeaderError);
    assert.equal(connects(), 0);
  });

  it('fails with HandshakeError, after connectTimeout and without retrying, when a silent program holds the endpoint', async () => {
    network.hold(endpoint, 'silent');
    const outcome = await elect().outcome();
    assert.equal(outcome.role, 'failed');
    const error = (outcome as { error: Error }).error;
    assert.ok(error instanceof HandshakeError, `expected a HandshakeError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_ONELINK_HANDSHAKE');
    assert.equal(error.name, 'HandshakeError');
    assert.equal(error.port, 1);
    assert.match(error.message, /did not answer the onelink handshake within 50 ms/);
    assert.equal(connects(), 1);
  });

  it('fails with HandshakeError at once when the holder answers bytes that are not onelink', async () => {
    network.hold(endpoint, (connection) => connection.write(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const outcome = await elect({ afterLoss: true }).outcome();
    assert.ok(outcome.role === 'failed' && outcome.error instanceof HandshakeError, JSON.stringify(outcome));
    assert.match(outcome.error.message, /not the onelink protocol/);
    assert.equal(connects(), 1);
  });

  it('a holder that closes every connection after the hello, without a byte, as a leader of protocol 1 does: NoLeaderError naming a possible version mismatch', async () => {
    network.hold(endpoint, (connection) => connection.setHandler({ onConnect() {}, onData: () => connection.destroy(), onError() {}, onClose() {} }));
    const recorder = elect({ maxWaitTime: 100 });
    const outcome = await recorder.outcome();
    assert.ok(outcome.role === 'failed' && outcome.error instanceof NoLeaderError, JSON.stringify(outcome));
    assert.equal(
      outcome.error.message,
      `no leader could be elected or reached on ${where} within maxWaitTime (100 ms): ${where} accepted the connection and closed it without answering this process's hello (onelink protocol 2). ` +
        'A leader of an older onelink (protocol 1) does this: if it goes on, upgrade all processes of the app together',
    );
    assert.ok(connects() > 1, 'a close during the handshake is tried again at once, as a closing leader');
  });

  for (const [shape, answer, version] of [
    ['a frame of protocol 1', helloFrame(1, 1), 1],
    ['a hello saying protocol 3 in a frame of protocol 2', helloFrame(2, 3), 3],
  ] as const) {
    it(`a leader that answers with ${shape}: HandshakeError naming both versions, tried again later`, async () => {
      network.hold(endpoint, (connection) => connection.setHandler({ onConnect() {}, onData: () => connection.write(answer), onError() {}, onClose() {} }));
      const recorder = elect({ maxWaitTime: 50 });
      const outcome = await recorder.outcome();
      assert.ok(outcome.role === 'failed' && outcome.error instanceof HandshakeError, JSON.stringify(outcome));
      assert.equal(outcome.error.message, `the leader on ${where} speaks onelink protocol ${version}, this process protocol 2: upgrade all processes of the app together`);
      assert.equal(outcome.error.peerVersion, version);
      assert.equal(connects(), 1);
      // Once the processes of the other version are replaced, this one finds its leader: it keeps looking.
      network.release(endpoint);
      const next = await recorder.outcome();
      assert.equal(next.role, 'leader');
      assert.equal(recorder.elections, 2);
    });
  }

  it('after losing its leader, takes silence as a hung leader and keeps trying until it is gone', async () => {
    network.hold(endpoint, 'silent', 2);
    const outcome = await elect({ afterLoss: true }).outcome();
    assert.equal(outcome.role, 'leader');
    assert.equal(connects(), 2);
  });

  it('fails with NoLeaderError after maxWaitTime when it may not lead and nobody does, then tries again by itself', async () => {
    const recorder = elect({ isLeader: false, maxWaitTime: 30 });
    const outcome = await recorder.outcome();
    assert.ok(outcome.role === 'failed' && outcome.error instanceof NoLeaderError);
    assert.match(outcome.error.message, /no leader could be elected or reached on 127\.0\.0\.1:1 within maxWaitTime \(30 ms\)/);
    assert.equal(recorder.elections, 1);
    const again = await recorder.outcome(); // the slow retry, after maxWaitTime here
    assert.equal(again.role, 'failed');
    assert.equal(recorder.elections, 2);
  });

  it('closes what it wins after stop()', async () => {
    const recorder = new Recorder();
    const election = new Election(network, { endpoint, isLeader: undefined, maxWaitTime: 100, identity: async () => testIdentity, link: { ...transportOptions, connectTimeout: 50 }, logger: quietLogger }, recorder);
    election.start(false);
    election.stop();
    await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(await network.listen(endpoint), 'the endpoint was released');
  });
});
