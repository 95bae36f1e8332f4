// Peers that try to exhaust a real leader's memory: a reader that never reads, a stopped
// subscriber, unfinished large frames on many connections, floods of OPENs and of connections.
// Each time: the offending peer is dropped within a bounded time, the leader's RSS grows by less
// than a bound, and an honest follower calling throughout sees no error.
// CI size by default; ONELINK_CHAOS_FULL=1 uses the default bounds and gives each attack up to 120 s (RSS growth <= 256 MiB).
import assert from 'node:assert/strict';
import { decodeValue, encodeConnection, encodeFrame, FrameKind, OK_RESPONSE, Op, PROTOCOL_VERSION } from '../../protocol/index.js';
import { deadlineFromNow } from '../../lib/shared-clock.js';
import { workerAgreement } from '../functional/helpers.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import type { LoopCounts } from '../support/worker-messages.js';
import { handshaken as handshakenPeer, isAlive, RawPeer, sleep, waitFor } from '../scenario/helpers.js';

const FULL = process.env.ONELINK_CHAOS_FULL === '1';
const ATTACK_MS = FULL ? 60_000 : 8_000;
const MiB = 1024 * 1024;
/** The leader's RSS may grow by this much under any one attack. */
const RSS_BOUND = FULL ? 256 * MiB : 192 * MiB;
const CHANNEL = 'echo';
const PARTIAL_BOUND = FULL ? 256 * MiB : 128 * MiB;
const HEARTBEAT = 1000;

function request(id: number, message: unknown[], application: Buffer = Buffer.alloc(0)): Buffer {
  // The header's timeout field carries the caller's deadline on the shared clock, as a follower sends it.
  return encodeFrame(FrameKind.REQUEST, 0, id, deadlineFromNow(60_000), encodeConnection(message), application);
}

describe('chaos: exhausting a real leader', function () {
  this.timeout(ATTACK_MS * 4 + 60_000);
  let workers: WorkerProcess[] = [];
  let leader: WorkerProcess;
  let honest: WorkerProcess;
  let port: number;
  const peers: RawPeer[] = [];
  const report: string[] = [];

  before(async () => {
    port = await freePort();
    // maxPartialFrameBytes below its default (256 MiB) keeps the CI variant's memory small; the full variant uses the default.
    workers = await startWorkers(3, { port, options: { heartbeatInterval: HEARTBEAT, connectTimeout: 2000, ...(FULL ? {} : { maxPartialFrameBytes: PARTIAL_BOUND }) } });
    leader = await leaderOf(workers);
    honest = workers.find((w) => w !== leader)!;
  });

  beforeEach(async () => {
    await honest.call('loop', { tag: 'honest', method: 'echo', args: [{ honest: true }] });
  });

  afterEach(async () => {
    for (const peer of peers.splice(0)) peer.destroy();
    assert.ok(isAlive(leader), 'the leader process died');
    const loop = await honest.call<LoopCounts>('stopLoop', { tag: 'honest' });
    assert.deepEqual(loop.failed, {}, 'the honest follower saw calls fail during the attack');
    assert.ok(loop.ok > 0);
  });

  after(async () => {
    await killAll(workers);
    console.log(`      ${report.join('\n      ')}`);
  });

  async function handshaken(): Promise<RawPeer> {
    const peer = await handshakenPeer(port);
    peers.push(peer);
    return peer;
  }

  async function openedPeer(): Promise<RawPeer> {
    const peer = await handshaken();
    peer.write(request(1, [Op.OPEN, CHANNEL, workerAgreement(CHANNEL, port)]));
    await waitFor('OPEN answered', () => peer.frames.find((f) => f.id === 1));
    assert.ok(peer.frames.find((f) => f.id === 1)!.connection.equals(OK_RESPONSE));
    return peer;
  }

  const rss = () => leader.call<number>('rss');

  /** Runs `attack` until `done` or ATTACK_MS, sampling the leader's RSS; returns the max growth and the time taken. */
  async function measure(what: string, attack: () => Promise<boolean>): Promise<{ growth: number; ms: number }> {
    const base = await rss();
    const started = Date.now();
    let max = base;
    let finished = false;
    while (Date.now() - started < ATTACK_MS * 2 && !finished) {
      finished = await attack();
      max = Math.max(max, await rss());
      await sleep(20);
    }
    const ms = Date.now() - started;
    await sleep(2000);
    const after = await rss();
    const growth = max - base;
    report.push(`${what}: settled after ${ms} ms, leader RSS +${(growth / MiB).toFixed(1)} MiB at most, +${((after - base) / MiB).toFixed(1)} MiB 2 s later`);
    assert.ok(finished, `${what}: the peer was not dropped within ${ATTACK_MS * 2} ms`);
    assert.ok(growth < RSS_BOUND, `${what}: leader RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
    return { growth, ms };
  }

  it('a peer that sends 64 KiB calls and never reads the answers is dropped', async () => {
    const peer = await openedPeer();
    peer.socket.pause();
    const args = encodeConnection([Buffer.alloc(64 * 1024, 1)]);
    let id = 10;
    await measure('non-reader (64 KiB calls)', async () => {
      for (let i = 0; i < 20 && !peer.isClosed; i++) peer.write(request(id++, [Op.INVOKE, CHANNEL, 'echo'], args));
      return peer.isClosed;
    });
  });

  it('a stopped subscriber (SIGSTOP) of 64 KiB values every 2 ms is dropped', async () => {
    const subscriber = workers.find((w) => w !== leader && w !== honest)!;
    await subscriber.call('subscribe', { reg: { key: 'flood' }, tag: 'flood' });
    await waitFor('the subscription upstream', async () => ((await leader.invoke('upstreamSubscriptions', 'flood')) === 1 ? true : undefined));
    await leader.call('pump', { tag: 'flood', key: 'flood', size: 64 * 1024, everyMs: 2 });
    subscriber.child.kill('SIGSTOP');
    try {
      await measure('stopped subscriber (64 KiB every 2 ms)', async () => ((await leader.invoke('upstreamSubscriptions', 'flood')) === 0));
    } finally {
      await leader.call('stopPump', { tag: 'flood' });
      subscriber.child.kill('SIGCONT');
    }
  });

  it('unfinished 60 MiB frames on many connections: after the handshake the total is bounded, before it nothing large is accepted', async () => {
    const FRAME = 60 * MiB;
    const header = Buffer.alloc(24);
    header[0] = PROTOCOL_VERSION;
    header[1] = FrameKind.REQUEST;
    header.writeUInt32BE(1, 8);
    header.writeUInt32BE(FRAME, 20);
    // All of the body but its last byte: the leader holds the frame, unfinished.
    const body = Buffer.alloc(FRAME - 1, 1);
    const strangers = await Promise.all(Array.from({ length: 12 }, () => RawPeer.connect(port)));
    peers.push(...strangers);
    for (const peer of strangers) peer.write(Buffer.concat([header, body.subarray(0, MiB)]));
    const handshakenPeers = await Promise.all(Array.from({ length: 12 }, () => handshaken()));
    for (const peer of handshakenPeers) {
      peer.write(header);
      peer.write(body);
    }
    const held = Math.floor(PARTIAL_BOUND / FRAME);
    await measure(`12 strangers + 12 peers sending unfinished 60 MiB frames (maxPartialFrameBytes ${PARTIAL_BOUND / MiB} MiB)`, async () => {
      const open = handshakenPeers.filter((p) => !p.isClosed);
      // Done once the peers within the bound have sent all their bytes: the leader holds them.
      return strangers.every((p) => p.isClosed) && open.length <= held && open.every((p) => p.socket.writableLength === 0);
    });
    assert.ok(handshakenPeers.filter((p) => p.isClosed).length <= 12 - held + 1, 'peers within the bound were dropped too');
  });

  it('100k OPENs of unknown names from one socket: those over maxPendingOpensPerPeer refused at once, or the peer dropped', async () => {
    const peer = await handshaken();
    const chunk: Buffer[] = [];
    for (let i = 0; i < 100_000; i++) chunk.push(request(i + 10, [Op.OPEN, `unknown-${i}`, workerAgreement(CHANNEL, port)]));
    peer.write(Buffer.concat(chunk));
    // Refused one by one, or dropped when it does not read its refusals as fast as it provokes them (each is an error reply).
    await measure('100k OPENs of unknown names', async () => peer.isClosed || peer.frames.length > 100_000 - 100);
    const codes = new Set(peer.frames.slice(1).map((f) => (decodeValue(f.application) as { code?: string }).code));
    assert.ok(codes.size <= 1 && (codes.size === 0 || codes.has('ERR_ONELINK_PEER_LIMIT')), [...codes].join());
    report.push(`  (${peer.frames.length - 1} refusals received; ${peer.isClosed ? 'then dropped' : 'still connected'})`);
  });

  it('a flood of 2,000 connections: over maxConnections refused as they arrive', async () => {
    const opened: RawPeer[] = [];
    await measure('2,000 connections', async () => {
      const batch = await Promise.allSettled(Array.from({ length: 200 }, () => RawPeer.connect(port)));
      for (const result of batch) if (result.status === 'fulfilled') opened.push(result.value);
      peers.push(...opened.slice(peers.length));
      if (opened.length < 2000) return false;
      await sleep(200);
      return opened.filter((p) => !p.isClosed).length <= 1024;
    });
  });
});
