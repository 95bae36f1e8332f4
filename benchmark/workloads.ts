// What a worker process does for each scenario, written once against BenchClient.
import { randomBytes } from 'node:crypto';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import { elapsedUs, monotonicNs } from './clock.js';
import { LatencyHistogram } from './latency-histogram.js';
import type { PayloadKind } from './config.js';
import type { BenchClient, TickEvent } from './impl/implementation.js';
import type { FailoverReport, PayloadResult, SequentialResult, ThroughputResult, TickReport } from './worker-protocol.js';

/** A small object of the kind a cache or registry call carries. */
export function smallObject(i: number): Record<string, unknown> {
  return { id: i, key: `user:${i}`, active: i % 2 === 0, tags: ['alpha', 'beta', 'gamma'], score: i / 7 };
}

function assertEchoed(sent: unknown, received: unknown, what: string): void {
  if (!isDeepStrictEqual(sent, received)) throw new Error(`echo of ${what} came back different`);
}

export async function runSequential(client: BenchClient, calls: number, warmupCalls: number): Promise<SequentialResult> {
  for (let i = 0; i < warmupCalls; i += 1) await client.echo(smallObject(i));
  const first = smallObject(-1);
  assertEchoed(first, await client.echo(first), 'a small object');

  const latency = new LatencyHistogram();
  const start = monotonicNs();
  for (let i = 0; i < calls; i += 1) {
    const callStart = monotonicNs();
    await client.echo(smallObject(i));
    latency.record(elapsedUs(callStart));
  }
  return { latency: latency.toJSON(), elapsedMs: elapsedUs(start) / 1000 };
}

export function makePayload(kind: PayloadKind, bytes: number): Buffer | string {
  const random = randomBytes(bytes);
  if (kind === 'buffer') return random;
  // printable ASCII so that the string is `bytes` long in UTF-8 too
  for (let i = 0; i < bytes; i += 1) random[i] = 0x20 + (random[i] % 95);
  return random.toString('latin1');
}

export async function runPayload(client: BenchClient, kind: PayloadKind, bytes: number, warmupMs: number, durationMs: number, minCalls: number): Promise<PayloadResult> {
  const payload = makePayload(kind, bytes);
  const warmupEnd = monotonicNs() + warmupMs * 1e6;
  while (monotonicNs() < warmupEnd) await client.echo(payload);
  const start = monotonicNs();
  const deadline = start + durationMs * 1e6;
  let calls = 0;
  while (calls < minCalls || monotonicNs() < deadline) {
    const echoed = await client.echo(payload);
    // a Buffer may come back as another Uint8Array view; compare the bytes
    if (calls === 0) assertEchoed(payload, kind === 'buffer' ? Buffer.from(echoed as Uint8Array) : echoed, `a ${bytes}-byte ${kind}`);
    calls += 1;
  }
  return { calls, elapsedMs: elapsedUs(start) / 1000 };
}

/** `inFlight` concurrent loops; only calls that start and end inside the measured window count. */
export async function runThroughput(client: BenchClient, inFlight: number, durationMs: number, warmupMs: number): Promise<ThroughputResult> {
  const windowStart = monotonicNs() + warmupMs * 1e6;
  const windowEnd = windowStart + durationMs * 1e6;
  const latency = new LatencyHistogram();
  let calls = 0;
  const loop = async (lane: number): Promise<void> => {
    for (let i = 0; ; i += 1) {
      const callStart = monotonicNs();
      if (callStart >= windowEnd) return;
      await client.echo(smallObject(lane * 1_000_000 + i));
      if (callStart >= windowStart) {
        latency.record(elapsedUs(callStart));
        calls += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, lane) => loop(lane)));
  return { calls, elapsedMs: durationMs, latency: latency.toJSON() };
}

/** Counts what a fan-out subscriber receives: delay from the leader's emit, and sequence anomalies. */
export class TickCollector {
  readonly #seen = new Set<number>();
  readonly #delay = new LatencyHistogram();
  #highestSeq = -1;
  #reordered = 0;
  #duplicated = 0;
  #onChange: (() => void) | undefined;

  readonly listener = (event: TickEvent): void => {
    const receivedAtNs = monotonicNs();
    if (this.#seen.has(event.seq)) {
      this.#duplicated += 1;
    } else {
      this.#seen.add(event.seq);
      this.#delay.record((receivedAtNs - event.sentAtNs) / 1000);
    }
    if (event.seq < this.#highestSeq) this.#reordered += 1;
    else this.#highestSeq = event.seq;
    this.#onChange?.();
  };

  /** Waits until all `events` arrived or `settleMs` passed without completion. */
  async report(events: number, settleMs: number): Promise<TickReport> {
    if (this.#seen.size < events) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, settleMs);
        this.#onChange = () => {
          if (this.#seen.size >= events) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
      this.#onChange = undefined;
    }
    return {
      received: this.#seen.size,
      lost: events - this.#seen.size,
      reordered: this.#reordered,
      duplicated: this.#duplicated,
      delay: this.#delay.toJSON(),
    };
  }
}

/** Loops idempotent calls until stopped; notes failures and the first answer from a new leader. */
export class FailoverLoop {
  #calls = 0;
  #failedCalls = 0;
  #firstAnswerFromNewLeaderNs: number | null = null;
  #newLeaderPid: number | null = null;
  #firstError: string | null = null;
  #stopped = false;
  readonly #done: Promise<void>;

  constructor(client: BenchClient, oldLeaderPid: number, pauseAfterFailureMs: number, onNewLeader: (pid: number) => void) {
    this.#done = (async () => {
      while (!this.#stopped) {
        // In the process that becomes leader the call is local and settles without I/O: without
        // this turn of the event loop the loop would starve its own socket server.
        await nextTurn();
        this.#calls += 1;
        try {
          const pid = await client.hostPid();
          if (pid !== oldLeaderPid && this.#newLeaderPid === null) {
            this.#firstAnswerFromNewLeaderNs = monotonicNs();
            this.#newLeaderPid = pid;
            onNewLeader(pid);
          }
        } catch (err) {
          this.#failedCalls += 1;
          this.#firstError ??= err instanceof Error ? `${err.name}: ${err.message}` : String(err);
          // a failure can be immediate: do not spin
          await sleep(pauseAfterFailureMs);
        }
      }
    })();
  }

  /** `graceMs` bounds the wait for a call that never settles (it then counts as failed). */
  async stop(graceMs: number): Promise<FailoverReport> {
    this.#stopped = true;
    const settled = await Promise.race([this.#done.then(() => true), sleep(graceMs).then(() => false)]);
    if (!settled) this.#failedCalls += 1;
    return {
      calls: this.#calls,
      failedCalls: this.#failedCalls,
      firstAnswerFromNewLeaderNs: this.#firstAnswerFromNewLeaderNs,
      newLeaderPid: this.#newLeaderPid,
      firstError: this.#firstError,
    };
  }
}
