// Shared by the failover and fault scenarios: waiting on conditions, reading traced call loops,
// and raw sockets that speak (or abuse) the wire format against a real leader.
import assert from 'node:assert/strict';
import net from 'node:net';
import { ConnectingHandshake, FrameDecoder, type Frame } from '../../protocol/index.js';
import { identityFor } from '../../lib/security/identity.js';
import type { WorkerProcess } from '../support/processes.js';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => Promise<T | undefined> | T | undefined, timeoutMs = 10000, everyMs = 50): Promise<T> {
  const until = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > until) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}`);
    }
    await sleep(everyMs);
  }
}

export function isAlive(worker: WorkerProcess): boolean {
  return worker.child.exitCode === null && worker.child.signalCode === null;
}

/** One call of a worker's traced loop (see the traceLoop command of test/fixtures/worker.ts). */
export interface Outcome {
  at: number;
  ok: boolean;
  value?: unknown;
  code?: string;
  token?: string;
}

export function startTrace(worker: WorkerProcess, tag: string, method: string, args: unknown[] = [], token = false): Promise<unknown> {
  return worker.call('traceLoop', { tag, method, args, token });
}

export function stopTrace(worker: WorkerProcess, tag: string): Promise<Outcome[]> {
  return worker.call<Outcome[]>('stopTraceLoop', { tag });
}

export function failuresOf(outcomes: Outcome[]): Record<string, number> {
  const failed: Record<string, number> = {};
  for (const o of outcomes) if (!o.ok) failed[o.code!] = (failed[o.code!] ?? 0) + 1;
  return failed;
}

/** Milliseconds from `since` to the first successful call that returned `value` (e.g. the new leader's pid). */
export function firstSuccessAfter(outcomes: Outcome[], since: number, value: unknown): number | undefined {
  const first = outcomes.find((o) => o.ok && o.at >= since && o.value === value);
  return first ? first.at - since : undefined;
}

/** The one live leader among `workers`, once every live worker agrees there is exactly one. */
export function singleLeader(workers: WorkerProcess[], timeoutMs = 10000): Promise<WorkerProcess> {
  return waitFor('exactly one leader', async () => {
    const live = workers.filter(isAlive);
    const flags = await Promise.all(live.map((w) => w.call<boolean>('isLeader')));
    const leaders = live.filter((_, i) => flags[i]);
    return leaders.length === 1 ? leaders[0] : undefined;
  }, timeoutMs);
}

/** A raw TCP client of the port: collects decoded frames (or notes that the bytes were not frames) and tells when the peer closed. */
export class RawPeer {
  readonly frames: Frame[] = [];
  readonly closed: Promise<number>;
  decodeError: Error | null = null;
  private readonly opened = Date.now();
  private readonly decoder: FrameDecoder;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: net.Socket) {
    this.decoder = new FrameDecoder({
      onFrame: (frame) => {
        this.frames.push(frame);
        for (const wake of this.waiters) wake();
      },
      onError: (error) => {
        this.decodeError = error;
      },
    });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    socket.on('error', () => undefined); // a reset by the leader is an expected outcome here
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(Date.now() - this.opened)));
  }

  static connect(port: number): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' });
      socket.once('connect', () => resolve(new RawPeer(socket)));
      socket.once('error', reject);
    });
  }

  get isClosed(): boolean {
    return this.socket.destroyed || this.socket.readyState === 'closed';
  }

  write(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  /** Waits for the frame number `index` (0-based) to arrive. */
  async frame(index: number, timeoutMs = 5000): Promise<Frame> {
    const until = Date.now() + timeoutMs;
    while (this.frames.length <= index) {
      const left = until - Date.now();
      if (left <= 0 || this.isClosed) throw new Error(`frame ${index} did not arrive (${this.frames.length} received, closed: ${this.isClosed})`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(left, 50));
        this.waiters.add(wake);
      });
    }
    return this.frames[index]!;
  }

  /** Resolves with ms since connect when the peer closed; rejects if it stays open past `timeoutMs`. */
  closedWithin(timeoutMs: number): Promise<number> {
    let timer: NodeJS.Timeout;
    return Promise.race([
      this.closed,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the leader kept the connection open for more than ${timeoutMs} ms`)), timeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A follower's handshake with this user's key of the port. */
export async function followerHandshake(port: number): Promise<ConnectingHandshake> {
  return new ConnectingHandshake(await identityFor({ kind: 'tcp', port }, undefined), 'follower');
}

/** A raw peer that has completed the handshake with the leader (its hello is frame 0). */
export async function handshaken(port: number): Promise<RawPeer> {
  const handshake = await followerHandshake(port);
  const peer = await RawPeer.connect(port);
  peer.write(handshake.hello());
  const { leader, auth } = handshake.acceptLeaderHello(await peer.frame(0));
  assert.equal(leader.role, 'leader');
  peer.write(auth);
  return peer;
}
