// A framed socket: bytes ↔ frames over one net.Socket, with writes coalesced per tick and heartbeats.
// Session logic (what a frame means) lives in leader.ts / follower.ts.
import type net from 'node:net';
import { FrameDecoder, FrameKind, HEADER_SIZE, writeHeader, type Frame, type ProtocolError } from '../protocol/index.js';
import { Op, encodeConnection, EMPTY } from './messages.js';

export interface TransportHandler {
  onFrame(frame: Frame): void;
  onClose(error: Error | undefined): void;
}

export interface TransportOptions {
  maxFrameSize: number;
  heartbeatInterval: number;
  heartbeatMaxMisses: number;
  isCheckHeartbeat: boolean;
}

/** Bodies at least this large are written as their own buffer rather than copied next to the header. */
const COPY_LIMIT = 16 * 1024;
const PING = encodeConnection([Op.PING]);

export class Transport {
  private readonly decoder: FrameDecoder;
  private corked = false;
  private closed = false;
  private closeError: Error | undefined;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heard = true;
  private missed = 0;
  private pingId = 0;

  constructor(
    readonly socket: net.Socket,
    private handler: TransportHandler,
    private readonly options: TransportOptions,
  ) {
    socket.setNoDelay(true);
    this.decoder = new FrameDecoder(
      {
        onFrame: (frame) => this.receive(frame),
        onError: (error: ProtocolError) => this.destroy(error),
      },
      { maxFrameSize: options.maxFrameSize },
    );
    socket.on('data', (chunk: Buffer) => {
      this.heard = true;
      this.decoder.push(chunk);
    });
    socket.on('error', (err) => {
      this.closeError ??= err;
    });
    socket.on('close', () => this.finish());
  }

  setHandler(handler: TransportHandler): void {
    this.handler = handler;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get remote(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /** Pings the peer every heartbeatInterval; a peer silent for heartbeatMaxMisses periods is dropped. */
  startHeartbeat(): void {
    if (!this.options.isCheckHeartbeat || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatInterval);
    this.heartbeatTimer.unref();
  }

  private beat(): void {
    if (this.heard) {
      this.heard = false;
      this.missed = 0;
    } else if (++this.missed >= this.options.heartbeatMaxMisses) {
      const silentMs = this.missed * this.options.heartbeatInterval;
      this.destroy(new Error(`peer ${this.remote} missed ${this.missed} heartbeats (${silentMs} ms of silence)`));
      return;
    }
    this.pingId = (this.pingId + 1) % 0x7fffffff;
    this.send(FrameKind.REQUEST, 0, this.pingId, 0, PING, EMPTY);
  }

  private receive(frame: Frame): void {
    // Pings are answered here so that a busy session layer still looks alive.
    if (frame.kind === FrameKind.REQUEST && frame.connection.length === PING.length && frame.connection.equals(PING)) {
      this.send(FrameKind.RESPONSE, 0, frame.id, 0, EMPTY, EMPTY);
      return;
    }
    if (frame.kind === FrameKind.RESPONSE && frame.connection.length === 0) return; // a pong
    this.handler.onFrame(frame);
  }

  /**
   * Queues one frame. Frames sent in the same tick leave in one writev: the socket is corked
   * on the first send and uncorked on the next tick.
   */
  send(kind: FrameKind, flags: number, id: number, timeout: number, connection: Buffer, application: Buffer): boolean {
    if (this.closed) return false;
    const socket = this.socket;
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(uncork, this);
    }
    if (application.length >= COPY_LIMIT) {
      const head = Buffer.allocUnsafe(HEADER_SIZE + connection.length);
      writeHeader(head, 0, kind, flags, id, timeout, connection.length, application.length);
      connection.copy(head, HEADER_SIZE);
      socket.write(head);
      socket.write(application);
    } else {
      const frame = Buffer.allocUnsafe(HEADER_SIZE + connection.length + application.length);
      writeHeader(frame, 0, kind, flags, id, timeout, connection.length, application.length);
      connection.copy(frame, HEADER_SIZE);
      application.copy(frame, HEADER_SIZE + connection.length);
      socket.write(frame);
    }
    return true;
  }

  /** Flushes what is queued, then closes. */
  end(): void {
    if (this.closed) return;
    this.socket.end();
  }

  destroy(error?: Error): void {
    if (error) this.closeError ??= error;
    this.socket.destroy();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.handler.onClose(this.closeError);
  }
}

function uncork(transport: Transport): void {
  transport['corked'] = false;
  transport.socket.uncork();
}
