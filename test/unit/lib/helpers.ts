// Helpers of the unit tests of lib/: channel specs without processes, and a follower written by
// hand over the in-memory network, to send a leader the frames a test wants.
import { randomBytes } from 'node:crypto';
import { ConnectingHandshake, decodeValue, EMPTY, encodeConnection, ERROR_RESPONSE, FrameKind, LeaderHandshake, type ConnectingRole, type Frame, type HandshakeIdentity } from '../../../protocol/index.js';
import { LocalChannel } from '../../../lib/channel.js';
import { resolveOptions, type ClusterOptions } from '../../../lib/options.js';
import { buildDelegates, type ChannelSpec, type DataClientClass } from '../../../lib/spec.js';
import type { Endpoint, Network } from '../../../lib/transport/connection.js';
import type { MemoryConnection, MemoryNetwork } from '../../../lib/transport/memory.js';
import { FramedTransport, type TransportOptions } from '../../../lib/transport/framed.js';

export const quietLogger = { info() {}, warn() {}, error() {}, debug() {} };

export const transportOptions: TransportOptions = { maxFrameSize: 1024 * 1024, heartbeatInterval: 20_000, heartbeatMaxMisses: 3, isCheckHeartbeat: true };

/** The key every leader and follower of the unit tests holds. */
export const testIdentity: HandshakeIdentity = { key: randomBytes(32), endpointId: 'tcp-127.0.0.1-1', pid: process.pid };

export function specOf(Client: DataClientClass, options: ClusterOptions = {}): ChannelSpec {
  const resolved = resolveOptions({ logger: quietLogger, ...options }, Client.name);
  return { Client, args: [], overrides: {}, delegates: buildDelegates(Client, new Map(), resolved), options: resolved };
}

export function channelOf(Client: DataClientClass, options: ClusterOptions = {}): LocalChannel {
  return new LocalChannel(specOf(Client, options));
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function until(what: string, probe: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!probe()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await delay(1);
  }
}

/** A follower written by hand: the handshake, then raw requests. */
export class RawFollower {
  readonly frames: Frame[] = [];
  readonly closed: Promise<Error | undefined>;
  private readonly transport: FramedTransport;
  private readonly waiting = new Map<number, (frame: Frame) => void>();
  private hello: ((frame: Frame) => void) | null = null;
  private nextId = 1;
  private readonly connection: MemoryConnection;

  private constructor(network: Network, endpoint: Endpoint, options: TransportOptions) {
    let onClose!: (error: Error | undefined) => void;
    this.closed = new Promise((resolve) => (onClose = resolve));
    this.connection = network.connect(endpoint) as MemoryConnection;
    this.transport = new FramedTransport(this.connection, {
      onFrame: (frame) => {
        if (this.hello) {
          this.hello(frame);
          this.hello = null;
          return;
        }
        this.frames.push(frame);
        this.waiting.get(frame.id)?.(frame);
        this.waiting.delete(frame.id);
      },
      onClose,
    }, options);
  }

  static async connect(network: Network, endpoint: Endpoint, options = transportOptions, role: ConnectingRole = 'follower'): Promise<RawFollower> {
    const follower = new RawFollower(network, endpoint, options);
    const hello = new Promise<Frame>((resolve) => (follower.hello = resolve));
    const handshake = new ConnectingHandshake(testIdentity, role);
    follower.transport.sendEncoded(handshake.hello());
    follower.transport.sendEncoded(handshake.acceptLeaderHello(await hello).auth);
    follower.transport.authenticate();
    return follower;
  }

  /** Sends [op, ...fields] with a body; resolves with the response (error or value). */
  request(message: unknown[], application: Buffer = EMPTY): Promise<{ error: boolean; value: unknown }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, (frame) => {
        const error = frame.connection.equals(ERROR_RESPONSE);
        resolve({ error, value: frame.application.length ? decodeValue(frame.application) : undefined });
      });
      this.transport.send(FrameKind.REQUEST, 0, id, 0, encodeConnection(message), application);
    });
  }

  /** Sends [op, ...fields] expecting no response. */
  post(message: unknown[], application: Buffer = EMPTY): void {
    this.transport.send(FrameKind.REQUEST, 0, 0, 0, encodeConnection(message), application);
  }

  /** Sends a frame whose connection object is these bytes as they are. */
  postRaw(connection: Buffer, application: Buffer = EMPTY, id = 0): void {
    this.transport.send(FrameKind.REQUEST, 0, id, 0, connection, application);
  }

  /** Writes bytes as they are on the connection, outside the transport's framing: the start of a frame never finished, say. */
  writeBytes(bytes: Buffer): void {
    this.connection.write(bytes);
  }

  /** A follower that stops reading (a stopped process): what the leader sends waits on the leader's side. */
  stopReading(): void {
    this.connection.pauseReading();
  }

  get isClosed(): boolean {
    return this.transport.isClosed;
  }

  destroy(): void {
    this.transport.destroy();
  }
}

/** Makes the endpoint answer like a leader that completes the handshake, then never answers. */
export function muteLeader(network: MemoryNetwork, endpoint: Endpoint): void {
  network.hold(endpoint, (connection) => {
    let received = 0;
    const handshake = new LeaderHandshake({ ...testIdentity, pid: 1 });
    const transport: FramedTransport = new FramedTransport(connection, {
      onFrame: (frame) => {
        if (++received === 1) transport.sendEncoded(handshake.acceptHello(frame).reply);
        else if (received === 2) {
          handshake.acceptAuth(frame);
          transport.authenticate();
        }
      },
      onClose() {},
    }, transportOptions);
  });
}
