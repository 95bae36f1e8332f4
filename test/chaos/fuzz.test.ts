// Fuzz campaign: authenticated rogue connections send random frames, and frames mutated from valid
// requests, to a real leader process while two honest follower processes call it in loops. The
// leader must stay up (same pid, still the leader), the honest calls must all return the right
// value, the leader's memory must stay bounded, and a rogue connection is only ever answered with
// error objects or dropped.
//
// Size: ONELINK_FUZZ_FRAMES frames if set, else 10^5 (10^6 with ONELINK_CHAOS_FULL=1).
// A failure prints its seed; ONELINK_FUZZ_SEED=<seed> replays the same frames.
import assert from 'node:assert/strict';
import { decodeConnection, decodeValue, encodeConnection, encodeFrame, ERROR_RESPONSE, FrameKind, OK_RESPONSE, Op, type Frame, type HandshakeIdentity } from '../../protocol/index.js';
import { identityFor } from '../../lib/security/identity.js';
import { workerAgreement } from '../functional/helpers.js';
import { isAlive } from '../scenario/helpers.js';
import { freePort } from '../support/servers.js';
import { killAll, startWorkers, type WorkerProcess } from '../support/processes.js';
import { crashShape, fuzzFrame, terminalFrame, truncatedFrame, type FuzzTarget } from './support/fuzz-frames.js';
import { campaignSeed, Prng } from './support/prng.js';
import { RoguePeer } from './support/rogue-peer.js';
import { RssSampler } from './support/rss.js';

const FULL = process.env.ONELINK_CHAOS_FULL === '1';
const FRAMES = Number(process.env.ONELINK_FUZZ_FRAMES ?? (FULL ? 1_000_000 : 100_000));
/** Rogue connections at any time. */
const ROGUES = 4;
/**
 * The leader's RSS must stay under this. Generous on purpose: a Node.js process with tsx and this
 * load sits around 100-150 MiB; a leader that keeps what rogues send would pass it within seconds.
 */
const RSS_BOUND_MIB = 512;
/** A barrier (a ping after each batch) not answered within this means a hung leader. */
const BARRIER_TIMEOUT_MS = 15000;
/** A refused header must close the connection within this. */
const DROP_TIMEOUT_MS = 5000;
const CHANNEL = 'echo';

interface Tally {
  frames: number;
  connections: number;
  /** Connections the leader closed after a header it must refuse. */
  droppedForHeader: number;
  /** Connections the leader closed otherwise (a per-peer bound, say). */
  droppedOther: number;
  okReplies: number;
  errorReplies: Record<string, number>;
  /** Frames from the leader that are neither a reply, an error object, a ping nor a push. */
  untyped: string[];
}

/** Checks one frame the leader sent a rogue: a pong, an OK, an error object, a ping or a push. */
function inspect(frame: Frame, tally: Tally): void {
  if (frame.kind === FrameKind.RESPONSE) {
    if (frame.connection.length === 0) return; // a pong
    if (frame.connection.equals(OK_RESPONSE)) {
      tally.okReplies++;
      return;
    }
    if (frame.connection.equals(ERROR_RESPONSE)) {
      const error = decodeValue(frame.application) as Record<string, unknown> | null;
      if (error && typeof error === 'object' && typeof error.name === 'string' && typeof error.message === 'string') {
        const code = typeof error.code === 'string' ? error.code : error.name;
        tally.errorReplies[code] = (tally.errorReplies[code] ?? 0) + 1;
        return;
      }
      tally.untyped.push(`error reply that is not an error object: ${String(frame.application.toString('hex').slice(0, 80))}`);
      return;
    }
  } else {
    let op: unknown;
    try {
      op = decodeConnection(frame.connection)[0];
    } catch {
      op = undefined;
    }
    if (op === Op.PING || op === Op.PUSH) return;
  }
  if (tally.untyped.length < 20) tally.untyped.push(`kind ${frame.kind}, connection ${frame.connection.toString('hex').slice(0, 80)}`);
}

class Campaign {
  readonly tally: Tally = { frames: 0, connections: 0, droppedForHeader: 0, droppedOther: 0, okReplies: 0, errorReplies: {}, untyped: [] };
  private nextPing = 2 ** 40;
  /** Set when the campaign must stop: the leader died, or a check failed. */
  stopped: Error | null = null;

  constructor(private readonly port: number, private readonly identity: HandshakeIdentity, private readonly target: FuzzTarget) {}

  private get budgetLeft(): boolean {
    return this.tally.frames < FRAMES && !this.stopped;
  }

  private async connect(): Promise<RoguePeer> {
    const peer = await RoguePeer.connect({ port: this.port }, this.identity, { timeoutMs: 10000 });
    this.tally.connections++;
    return peer;
  }

  /** Inspects what came back so far. */
  private drain(peer: RoguePeer): void {
    for (const frame of peer.frames.splice(0)) inspect(frame, this.tally);
  }

  /** A ping after the frames written: its pong says the leader read them all. False if the leader closed the connection. */
  private async barrier(peer: RoguePeer): Promise<boolean> {
    const id = this.nextPing++;
    peer.write(encodeFrame(FrameKind.REQUEST, 0, id, 0, encodeConnection([Op.PING]), Buffer.alloc(0)));
    for (;;) {
      let frame: Frame;
      try {
        frame = await peer.nextFrame(BARRIER_TIMEOUT_MS);
      } catch (error) {
        if (peer.socket.destroyed) {
          this.tally.droppedOther++;
          return false;
        }
        throw new Error(`the leader did not answer a ping within ${BARRIER_TIMEOUT_MS} ms`, { cause: error });
      }
      if (frame.kind === FrameKind.RESPONSE && frame.id === id && frame.connection.length === 0) {
        this.drain(peer);
        return true;
      }
      inspect(frame, this.tally);
    }
  }

  /** Whether the connection closed within DROP_TIMEOUT_MS; what came before the close is inspected. */
  private async closesInTime(peer: RoguePeer): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      peer.closed.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), DROP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    this.drain(peer);
    peer.destroy();
    return closed;
  }

  /** One rogue: batches of fuzzed frames, now and then a crash shape, a refused header, a cut frame or a hang-up. */
  async rogue(rng: Prng): Promise<void> {
    let peer = await this.connect();
    try {
      while (this.budgetLeft) {
        const roll = rng.next();
        if (roll < 0.04) {
          const shape = crashShape(rng, this.target);
          peer.write(shape.bytes);
          this.tally.frames += shape.close === 'socket' ? 2 : 3;
          if (shape.close === 'socket') peer.destroy();
          else if (await this.barrier(peer)) continue;
        } else if (roll < 0.06) {
          const frame = terminalFrame(rng);
          peer.write(frame.bytes);
          this.tally.frames++;
          if (!(await this.closesInTime(peer))) throw new Error(`the leader kept a connection open ${DROP_TIMEOUT_MS} ms after a frame with ${frame.reason}`);
          this.tally.droppedForHeader++;
        } else if (roll < 0.08) {
          peer.write(truncatedFrame(rng, this.target));
          this.tally.frames++;
          peer.socket.end();
          if (!(await this.closesInTime(peer))) throw new Error(`the leader kept a connection open ${DROP_TIMEOUT_MS} ms after its peer ended it in the middle of a frame`);
        } else if (roll < 0.09) {
          peer.destroy(); // hang up with channels and subscriptions open
        } else {
          const frames: Buffer[] = [];
          for (let i = rng.int(1, 200); i > 0; i--) frames.push(fuzzFrame(rng, this.target).bytes);
          peer.write(Buffer.concat(frames));
          this.tally.frames += frames.length;
          if (await this.barrier(peer)) continue;
        }
        peer = await this.connect();
      }
    } catch (error) {
      this.stopped ??= error as Error;
    } finally {
      peer.destroy();
    }
  }
}

interface CheckResult {
  calls: number;
  wrong: number;
  wrongSamples: unknown[];
  failed: Record<string, number>;
  maxMs: number;
}

describe('chaos: fuzz campaign against a live leader', function () {
  this.timeout(FULL ? 60 * 60000 : 240000);
  let workers: WorkerProcess[] = [];
  after(() => killAll(workers));

  it(`${FRAMES} fuzzed frames from ${ROGUES} authenticated rogue connections: the leader stays up, honest calls all succeed, leader RSS < ${RSS_BOUND_MIB} MiB`, async () => {
    const seed = campaignSeed();
    console.log(`      seed ${seed} (replay: ONELINK_FUZZ_SEED=${seed})`);
    const port = await freePort();
    const [leader] = (workers = await startWorkers(1, { port }));
    assert.equal((await leader!.ready).leader, true);
    const followers = await startWorkers(2, { port });
    workers.push(...followers);
    for (const f of followers) assert.equal((await f.ready).leader, false);

    const rss = new RssSampler(leader!.pid);
    const campaign = new Campaign(port, await identityFor({ kind: 'tcp', port }, undefined), { channel: CHANNEL, agreement: workerAgreement(CHANNEL, port) });
    let crashedAfter = -1;
    void leader!.exited.then(() => {
      crashedAfter = campaign.tally.frames;
      campaign.stopped ??= new Error('the leader exited');
    });

    await Promise.all(followers.flatMap((f) => [
      f.call('checkLoop', { tag: 'echo', method: 'echo', token: true }),
      f.call('checkLoop', { tag: 'pid', method: 'pid', expect: leader!.pid }),
    ]));
    const started = Date.now();
    const root = new Prng(seed);
    await Promise.all(Array.from({ length: ROGUES }, (_, i) => campaign.rogue(root.fork(i))));
    const seconds = (Date.now() - started) / 1000;
    rss.stop();

    const honest = await Promise.all(followers.filter(isAlive).map(async (f) => ({
      echo: await f.call<CheckResult>('stopCheckLoop', { tag: 'echo' }),
      pid: await f.call<CheckResult>('stopCheckLoop', { tag: 'pid' }),
    })));
    const { tally } = campaign;
    const topErrors = Object.entries(tally.errorReplies).sort((a, b) => b[1] - a[1]).slice(0, 8).map(([code, n]) => `${code} ${n}`).join(', ');
    const honestCalls = honest.reduce((n, h) => n + h.echo.calls + h.pid.calls, 0);
    const maxHonestMs = Math.max(...honest.flatMap((h) => [h.echo.maxMs, h.pid.maxMs]));
    console.log(`      ${tally.frames} frames in ${seconds.toFixed(1)} s (${Math.round(tally.frames / seconds)}/s) over ${tally.connections} connections; ` +
      `dropped after a refused header: ${tally.droppedForHeader}, otherwise: ${tally.droppedOther}`);
    console.log(`      replies: ${tally.okReplies} OK; errors: ${topErrors}`);
    console.log(`      honest calls: ${honestCalls} (slowest ${maxHonestMs} ms); leader max RSS ${rss.maxMiB} MiB over ${rss.samples} samples`);

    assert.equal(crashedAfter, -1, `the leader (pid ${leader!.pid}) crashed after about ${crashedAfter} frames (seed ${seed}); its stderr is above`);
    if (campaign.stopped) throw Object.assign(campaign.stopped, { message: `${campaign.stopped.message} (seed ${seed})` });
    assert.equal(await leader!.call('isLeader'), true, 'the leader is no longer the leader');
    assert.ok(tally.frames >= FRAMES, `only ${tally.frames} of ${FRAMES} frames were sent`);
    assert.deepEqual(tally.untyped, [], `the leader sent rogues frames that are not typed errors (seed ${seed})`);
    assert.equal(honest.length, 2, 'an honest follower died');
    for (const h of honest) {
      for (const loop of [h.echo, h.pid]) {
        assert.ok(loop.calls > 0, 'an honest loop made no calls');
        assert.deepEqual(loop.failed, {}, `honest calls failed (seed ${seed})`);
        assert.equal(loop.wrong, 0, `honest calls returned wrong values: ${JSON.stringify(loop.wrongSamples)} (seed ${seed})`);
      }
    }
    assert.ok(rss.maxMiB < RSS_BOUND_MIB, `the leader's RSS reached ${rss.maxMiB} MiB (bound ${RSS_BOUND_MIB} MiB, seed ${seed})`);
  });
});
