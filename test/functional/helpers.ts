// Helpers of the functional tests: extra clients in worker processes, polling, and a raw
// protocol peer that speaks frames directly to a leader (to ask it things no client would).
import net from 'node:net';
import { ConnectingHandshake, decodeValue, EMPTY, encodeConnection, encodeFrame, ERROR_RESPONSE, FrameDecoder, FrameKind, Op, type ChannelAgreement, type Frame } from '../../protocol/index.js';
import { identityFor } from '../../lib/security/identity.js';
import { resolveOptions } from '../../lib/options.js';
import { agreementOf, buildDelegates, toDelegateSpec } from '../../lib/spec.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { WORKER_DELEGATES, type ExtraClientConfig } from '../fixtures/extra-clients.js';
import type { WorkerProcess } from '../support/processes.js';
import { deadlineFromNow } from '../../lib/shared-clock.js';

export const silentLogger = { info() {}, warn() {}, error() {}, debug() {} };

/** Creates a client in a worker process; resolves once it is ready, with whether it leads. */
export function createClient(worker: WorkerProcess, config: ExtraClientConfig): Promise<{ leader: boolean }> {
  return worker.call('client', { op: 'create', config });
}

/** Runs `op` on the worker's extra client `id` (invoke, callback, isLeader, subscribe, unsubscribe, publish, close). */
export function onClient<T = unknown>(worker: WorkerProcess, id: string, op: string, payload: Record<string, unknown> = {}): Promise<T> {
  return worker.call<T>('client', { op, client: id, ...payload });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(25);
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once nothing listens on 127.0.0.1:port any more (a fresh server can take it). */
export function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** What a worker's EchoClient channel (created with the default `{}`) agrees on: a raw peer must present it to open the channel. */
export function workerAgreement(name: string, port: number): ChannelAgreement {
  const options = resolveOptions({ name, port }, EchoClient.name);
  const explicit = new Map(Object.entries(WORKER_DELEGATES).map(([method, to]) => [method, toDelegateSpec(to)]));
  return agreementOf({ Client: EchoClient, args: [{}], overrides: {}, delegates: buildDelegates(EchoClient, explicit, options), options });
}

export interface RawResponse {
  error: boolean;
  value: unknown;
}

/** A follower written by hand: the handshake (with this user's key of the port), then whatever frames a test wants to send. */
export class RawPeer {
  private readonly decoder: FrameDecoder;
  private readonly waiting = new Map<number, (frame: Frame) => void>();
  private hello: ((frame: Frame) => void) | null = null;
  private nextId = 1;

  private constructor(private readonly socket: net.Socket) {
    this.decoder = new FrameDecoder({
      onFrame: (frame) => {
        if (this.hello) {
          const done = this.hello;
          this.hello = null;
          done(frame);
          return;
        }
        this.waiting.get(frame.id)?.(frame);
        this.waiting.delete(frame.id);
      },
      onError: (err) => socket.destroy(err),
    });
    socket.on('data', (chunk: Buffer) => this.decoder.push(chunk));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawPeer> {
    const handshake = new ConnectingHandshake(await identityFor({ kind: 'tcp', port }, undefined), 'follower');
    const socket = net.connect({ port, host: '127.0.0.1' });
    const peer = new RawPeer(socket);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no hello from the leader within 3000 ms')), 3000);
      peer.hello = (frame) => {
        clearTimeout(timer);
        try {
          socket.write(handshake.acceptLeaderHello(frame).auth);
          resolve();
        } catch (err) {
          reject(err as Error);
        }
      };
      socket.once('close', () => reject(new Error('the leader closed the connection during the handshake')));
      socket.once('connect', () => socket.write(handshake.hello()));
    });
    return peer;
  }

  /** Sends a request frame and waits for its response. */
  request(message: unknown[], application: Buffer = EMPTY, timeoutMs = 3000): Promise<RawResponse> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`no response to ${JSON.stringify(message)} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (frame) => {
        clearTimeout(timer);
        const error = frame.connection.equals(ERROR_RESPONSE);
        resolve({ error, value: frame.application.length ? decodeValue(frame.application) : undefined });
      });
      // The header's timeout field is the caller's absolute deadline on the machine's monotonic clock.
      this.socket.write(encodeFrame(FrameKind.REQUEST, 0, id, deadlineFromNow(timeoutMs), encodeConnection(message), application));
    });
  }

  open(name: string, agreement: ChannelAgreement): Promise<RawResponse> {
    return this.request([Op.OPEN, name, agreement]);
  }

  invoke(name: string, method: string, args: unknown[]): Promise<RawResponse> {
    return this.request([Op.INVOKE, name, method], encodeConnection(args));
  }

  close(): void {
    this.socket.destroy();
  }
}
