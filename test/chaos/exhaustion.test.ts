// Peers that try to exhaust a real leader's memory: a reader that never reads, a stopped
// subscriber, unfinished large frames on many connections, floods of OPENs and of connections.
// Each time: the offending peer is dropped within a bounded time, the leader's RSS grows by less
// than a bound, the leader gives its memory back once the attacker is gone, and an honest
// follower calling throughout sees no error.
// CI size by default: one round of each attack (the attacker is dropped once), maxPartialFrameBytes 128 MiB.
// ONELINK_CHAOS_FULL=1: the default bounds, and each attack goes on for 60 s: an attacker that is
// dropped connects again and attacks again until the time is up.
import assert from 'node:assert/strict';
import { decodeValue, encodeConnection, encodeFrame, FrameKind, OK_RESPONSE, Op, PROTOCOL_VERSION } from '../../protocol/index.js';
import { defaults } from '../../lib/options.js';
import { deadlineFromNow } from '../../lib/shared-clock.js';
import { workerAgreement } from '../functional/helpers.js';
import { freePort } from '../support/servers.js';
import { killAll, leaderOf, startWorkers, type WorkerProcess } from '../support/processes.js';
import type { LoopCounts } from '../support/worker-messages.js';
import { handshaken as handshakenPeer, isAlive, RawPeer, sleep, waitFor } from '../scenario/helpers.js';
import { peakRssOf, resetPeakRss, rssOf, RssSampler } from './support/rss.js';

const FULL = process.env.ONELINK_CHAOS_FULL === '1';
/** How long each attack goes on, the attacker coming back each time it is dropped; 0: one round. */
const ATTACK_MS = FULL ? 60_000 : 0;
/** One round's attacker is dropped (or holds all the leader lets it hold) within this. */
const DROP_MS = FULL ? 60_000 : 16_000;
const MiB = 1024 * 1024;
/**
 * The leader's RSS may grow by this much over its RSS before the attack, at any time during it; by
 * maxPartialFrameBytes + 64 MiB under the attack of unfinished frames, which the leader is allowed
 * to hold up to maxPartialFrameBytes of.
 */
const RSS_BOUND = FULL ? 256 * MiB : 192 * MiB;
/**
 * Once the attacker is gone, what the leader holds (its JS heap in use and its Buffers) comes back
 * within this of what it held before the attack: nothing of the attacker's is kept...
 */
const LIVE_BOUND = 16 * MiB;
/*
 * Its RSS after the attack is reported, not asserted: V8 keeps the heap it grew under load committed
 * (the young generation alone up to 48 MiB) and malloc keeps freed 64 KiB chunks between live ones,
 * so how much of the peak stays mapped depends on fragmentation (+69 MiB after one CI-size run of
 * the non-reader, +0.8 after another); both are used again by the next attack rather than grown.
 */
/** Within this time (a full collection is forced every 250 ms: the leader runs with --expose-gc). */
const GIVE_BACK_MS = 10_000;
const CHANNEL = 'echo';
const PARTIAL_BOUND = FULL ? defaults.maxPartialFrameBytes : 128 * MiB;
const HEARTBEAT = 1000;

function request(id: number, message: unknown[], application: Buffer = Buffer.alloc(0)): Buffer {
  // The header's timeout field carries the caller's deadline on the shared clock, as a follower sends it.
  return encodeFrame(FrameKind.REQUEST, 0, id, deadlineFromNow(60_000), encodeConnection(message), application);
}

/** What one attack did to the leader, for the report. */
interface Outcome {
  what: string;
  rounds: number;
  roundMs: number[];
  ms: number;
  base: number;
  peak: number;
  after: number;
  /** The leader's JS heap in use + Buffers (external memory), before and after. */
  liveBase: number;
  liveAfter: number;
  givenBackMs: number;
  honest?: { ok: number; failed: Record<string, number> };
  notes: string[];
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const signed = (bytes: number) => `${bytes >= 0 ? '+' : ''}${mib(bytes)} MiB`;

interface Memory {
  collected: boolean;
  heapUsed: number;
  external: number;
}

function describeOutcome(o: Outcome): string {
  const rounds = o.rounds === 1 ? `settled after ${o.roundMs[0]} ms` : `${o.rounds} rounds in ${(o.ms / 1000).toFixed(1)} s, each settled after ${Math.min(...o.roundMs)}–${Math.max(...o.roundMs)} ms`;
  const honest = o.honest ? `honest calls ${o.honest.ok} ok, ${Object.values(o.honest.failed).reduce((a, b) => a + b, 0)} failed` : 'honest calls not counted';
  return `${o.what}: ${rounds}; leader RSS ${mib(o.base)} MiB before, ${mib(o.peak)} MiB at most (+${mib(o.peak - o.base)}), ` +
    `${mib(o.after)} MiB ${o.givenBackMs} ms after the attacker left (${signed(o.after - o.base)}; heap in use + Buffers ${signed(o.liveAfter - o.liveBase)}); ${honest}${o.notes.length ? `; ${o.notes.join('; ')}` : ''}`;
}

describe(`chaos: exhausting a real leader (${FULL ? 'full size: 60 s per attack' : 'CI size: one round per attack'})`, function () {
  this.timeout(ATTACK_MS + DROP_MS + GIVE_BACK_MS + 60_000);
  let workers: WorkerProcess[] = [];
  let leader: WorkerProcess;
  let honest: WorkerProcess;
  let port: number;
  const peers: RawPeer[] = [];
  const outcomes: Outcome[] = [];
  let current: Outcome | null = null;

  before(async () => {
    port = await freePort();
    // maxPartialFrameBytes below its default (256 MiB) keeps the CI variant's memory small; the full variant uses the default.
    const options = { heartbeatInterval: HEARTBEAT, connectTimeout: 2000, ...(FULL ? {} : { maxPartialFrameBytes: PARTIAL_BOUND }) };
    workers = await startWorkers(3, { port, options, nodeArgs: ['--expose-gc'] });
    leader = await leaderOf(workers);
    honest = workers.find((w) => w !== leader)!;
    assert.equal((await leader.call<Memory>('gc')).collected, true, 'the leader cannot be made to collect garbage');
  });

  beforeEach(async () => {
    current = null;
    await honest.call('loop', { tag: 'honest', method: 'echo', args: [{ honest: true }] });
  });

  afterEach(async () => {
    dropPeers();
    assert.ok(isAlive(leader), 'the leader process died');
    const loop = await honest.call<LoopCounts>('stopLoop', { tag: 'honest' });
    if (current) current.honest = loop;
    assert.deepEqual(loop.failed, {}, 'the honest follower saw calls fail during the attack');
    assert.ok(loop.ok > 0);
  });

  after(async () => {
    await killAll(workers);
    console.log(`      ${outcomes.map(describeOutcome).join('\n      ')}`);
  });

  /** What the leader's memory holds: its JS heap in use, and Buffers and other memory outside it. */
  function live(memory: Memory): number {
    return memory.heapUsed + memory.external;
  }

  function dropPeers(): void {
    for (const peer of peers.splice(0)) peer.destroy();
  }

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

  /** Says, each time it is asked, whether the leader has dropped this round's attacker (or holds all it lets it hold). */
  type Dropped = () => Promise<boolean> | boolean;

  /**
   * Runs rounds of an attack: `round` starts an attacker and tells when the leader dropped it. One
   * round at CI size; at full size a new one each time the attacker is dropped, until ATTACK_MS
   * have passed. The leader's peak RSS is measured over the whole attack. Then the attacker's
   * sockets close, and the leader's RSS must come back near where it started.
   */
  async function campaign(what: string, round: () => Promise<Dropped>, rssBound = RSS_BOUND): Promise<void> {
    const liveBase = live(await leader.call<Memory>('gc'));
    const base = rssOf(leader.pid);
    const outcome: Outcome = { what, rounds: 0, roundMs: [], ms: 0, base, peak: base, after: base, liveBase, liveAfter: liveBase, givenBackMs: 0, notes: [] };
    current = outcome;
    outcomes.push(outcome);
    const exactPeak = resetPeakRss(leader.pid);
    // Sampling is the fallback where the peak cannot be restarted (it then misses spikes shorter than 20 ms).
    const sampler = new RssSampler(leader.pid, 20);
    const started = Date.now();
    try {
      do {
        const dropped = await round();
        const roundStarted = Date.now();
        let done = await dropped();
        while (!done && Date.now() - roundStarted < DROP_MS) {
          await sleep(20);
          done = await dropped();
        }
        outcome.rounds++;
        outcome.roundMs.push(Date.now() - roundStarted);
        assert.ok(done, `${what}: round ${outcome.rounds}: the peer was not dropped within ${DROP_MS} ms`);
        // What the leader did not close (connections within a bound), the attacker closes before its next round.
        dropPeers();
      } while (Date.now() - started < ATTACK_MS);
    } finally {
      outcome.ms = Date.now() - started;
      sampler.stop();
      outcome.peak = Math.max(sampler.maxBytes, exactPeak ? peakRssOf(leader.pid) : 0);
    }
    dropPeers();
    const givingBack = Date.now();
    for (;;) {
      outcome.liveAfter = live(await leader.call<Memory>('gc'));
      outcome.after = rssOf(leader.pid);
      outcome.givenBackMs = Date.now() - givingBack;
      if (outcome.liveAfter - liveBase <= LIVE_BOUND || outcome.givenBackMs >= GIVE_BACK_MS) break;
      await sleep(250);
    }
    assert.ok(outcome.peak - base < rssBound, `${what}: leader RSS grew by ${mib(outcome.peak - base)} MiB (bound ${mib(rssBound)} MiB)`);
    assert.ok(
      outcome.liveAfter - liveBase <= LIVE_BOUND,
      `${what}: ${GIVE_BACK_MS} ms after the attacker left, the leader's heap in use and Buffers hold ${mib(outcome.liveAfter - liveBase)} MiB more than before the attack (bound ${mib(LIVE_BOUND)} MiB)`,
    );
  }

  it('a peer that sends 64 KiB calls and never reads the answers is dropped', async () => {
    const args = encodeConnection([Buffer.alloc(64 * 1024, 1)]);
    await campaign('non-reader (64 KiB calls)', async () => {
      const peer = await openedPeer();
      peer.socket.pause();
      let id = 10;
      return () => {
        for (let i = 0; i < 20 && !peer.isClosed; i++) peer.write(request(id++, [Op.INVOKE, CHANNEL, 'echo'], args));
        return peer.isClosed;
      };
    });
  });

  it('a stopped subscriber (SIGSTOP) of 64 KiB values every 2 ms is dropped', async () => {
    const subscriber = workers.find((w) => w !== leader && w !== honest)!;
    await subscriber.call('subscribe', { reg: { key: 'flood' }, tag: 'flood' });
    const upstream = () => leader.invoke<number>('upstreamSubscriptions', 'flood');
    await leader.call('pump', { tag: 'flood', key: 'flood', size: 64 * 1024, everyMs: 2 });
    try {
      await campaign('stopped subscriber (64 KiB every 2 ms)', async () => {
        // Dropped in the round before, the subscriber came back and subscribed again.
        await waitFor('the subscription upstream', async () => ((await upstream()) === 1 ? true : undefined), 10_000, 20);
        subscriber.child.kill('SIGSTOP');
        return async () => {
          if ((await upstream()) !== 0) return false;
          subscriber.child.kill('SIGCONT');
          return true;
        };
      });
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
    const strangerBytes = Buffer.concat([header, body.subarray(0, MiB)]);
    const held = Math.floor(PARTIAL_BOUND / FRAME);
    await campaign(`12 strangers + 12 peers sending unfinished 60 MiB frames (maxPartialFrameBytes ${PARTIAL_BOUND / MiB} MiB)`, async () => {
      const strangers = await Promise.all(Array.from({ length: 12 }, () => RawPeer.connect(port)));
      peers.push(...strangers);
      for (const peer of strangers) peer.write(strangerBytes);
      const handshakenPeers = await Promise.all(Array.from({ length: 12 }, () => handshaken()));
      for (const peer of handshakenPeers) {
        peer.write(header);
        peer.write(body);
      }
      return () => {
        const open = handshakenPeers.filter((p) => !p.isClosed);
        // Done once the peers within the bound have sent all their bytes: the leader holds them.
        const done = strangers.every((p) => p.isClosed) && open.length <= held && open.every((p) => p.socket.writableLength === 0);
        if (done) assert.ok(handshakenPeers.filter((p) => p.isClosed).length <= 12 - held + 1, 'peers within the bound were dropped too');
        return done;
      };
    }, Math.max(RSS_BOUND, PARTIAL_BOUND + 64 * MiB));
  });

  it('100k OPENs of unknown names from one socket: those over maxPendingOpensPerPeer refused at once, or the peer dropped', async () => {
    const agreement = workerAgreement(CHANNEL, port);
    const chunk = Buffer.concat(Array.from({ length: 100_000 }, (_, i) => request(i + 10, [Op.OPEN, `unknown-${i}`, agreement])));
    let refusals = 0;
    let dropped = 0;
    await campaign('100k OPENs of unknown names', async () => {
      const peer = await handshaken();
      peer.write(chunk);
      // Refused one by one, or dropped when it does not read its refusals as fast as it provokes them (each is an error reply).
      return () => {
        if (!peer.isClosed && peer.frames.filter((f) => f.kind === FrameKind.RESPONSE).length < 100_000 - 100) return false;
        // The leader's hello and pings aside, every frame is a refusal: over the bound at once, within it
        // once the leader has waited for a client of that name (ChannelUnavailableError).
        const answers = peer.frames.filter((f) => f.kind === FrameKind.RESPONSE);
        const codes = new Set(answers.map((f) => (decodeValue(f.application) as { code?: string }).code));
        codes.delete('ERR_ONELINK_CHANNEL_UNAVAILABLE');
        assert.ok(codes.size <= 1 && (codes.size === 0 || codes.has('ERR_ONELINK_PEER_LIMIT')), [...codes].join());
        refusals += answers.length;
        if (peer.isClosed) dropped++;
        return true;
      };
    });
    current!.notes.push(`${refusals} refusals received, dropped ${dropped} times`);
  });

  it('a flood of 2,000 connections: over maxConnections, the oldest still in its handshake closed as new ones arrive', async () => {
    let refused = 0;
    await campaign('2,000 connections', async () => {
      const opened: RawPeer[] = [];
      while (opened.length < 2000) {
        const batch = await Promise.allSettled(Array.from({ length: 200 }, () => RawPeer.connect(port)));
        for (const result of batch) {
          if (result.status === 'fulfilled') opened.push(result.value);
          else refused++;
        }
        peers.push(...batch.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : [])));
        assert.ok(refused < 2000, `${refused} connections refused by the kernel`);
      }
      return () => opened.filter((p) => !p.isClosed).length <= defaults.maxConnections;
    });
    if (refused) current!.notes.push(`${refused} connects failed`);
  });
});
