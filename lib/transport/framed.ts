// Frames over one byte connection: the decoder, writes coalesced per tick, heartbeats.
// What a frame means is the business of lib/leader/ and lib/follower/.
import { COPY_LIMIT, EMPTY, FrameDecoder, FrameKind, HEADER_SIZE, isPing, isPong, MAX_HANDSHAKE_FRAME_SIZE, PING, writeHeader, type Frame, type ProtocolError } from '../../protocol/index.js';
import { BadRequestError, PeerLimitError, PeerSilentError } from '../errors.js';
import type { Connection, ConnectionHandler } from './connection.js';

export interface TransportHandler {
  /** An outgoing connection is established. */
  onConnect?(): void;
  onFrame(frame: Frame): void;
  /** The bytes received are not frames of this protocol; the connection is destroyed right after. */
  onProtocolError?(error: ProtocolError): void;
  onClose(error: Error | undefined): void;
}

export interface TransportOptions {
  /** Largest frame body once the peer is authenticated; before, MAX_HANDSHAKE_FRAME_SIZE. */
  maxFrameSize: number;
  heartbeatInterval: number;
  heartbeatMaxMisses: number;
  isCheckHeartbeat: boolean;
  /** Bytes queued for a peer that does not read, at most (see ClusterOptions.maxQueuedBytes). Default: unbounded. */
  maxQueuedBytes?: number;
  /** Shared by the connections of one server: bytes of unfinished frames they hold together. */
  partialFrames?: FrameBudget;
}

/** Bytes of unfinished frames held by the connections of one server, and their limit. */
export interface FrameBudget {
  used: number;
  readonly limit: number;
}

/** How long a peer's queue may stay over maxQueuedBytes while more is sent to it. */
export const QUEUE_GRACE_MS = 1000;

/** Initial size of the per-connection buffer in which a tick's small frames are laid out. */
const SCRATCH_SIZE = 64 * 1024;

export class FramedTransport implements ConnectionHandler {
  private readonly decoder: FrameDecoder;
  private scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
  private used = 0;
  private flushScheduled = false;
  private closed = false;
  /** end() was called: nothing more is written (a write after end would fail the socket). */
  private ended = false;
  private closeError: Error | undefined;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heard = true;
  private missed = 0;
  private pingId = 0;
  private authenticated = false;
  /** Bytes received and queued for sending, for the leader's stats. */
  bytesIn = 0;
  bytesOut = 0;
  /** Whether the peer's queue was over maxQueuedBytes at the last heartbeat. */
  private overAtLastBeat = false;
  /** When a send first found the queue over maxQueuedBytes (0: it is not). */
  private overSince = 0;
  private readonly maxQueued: number;
  /** Over this the peer is dropped at once: one frame of any size still fits on a queue at the bound. */
  private readonly hardMaxQueued: number;
  /** Bytes the decoder held after the last chunk, as counted in options.partialFrames. */
  private held = 0;

  constructor(
    private readonly connection: Connection,
    private readonly handler: TransportHandler,
    private readonly options: TransportOptions,
  ) {
    connection.setHandler(this);
    this.maxQueued = options.maxQueuedBytes ?? Infinity;
    this.hardMaxQueued = Math.max(4 * this.maxQueued, this.maxQueued + options.maxFrameSize);
    this.decoder = new FrameDecoder(
      {
        onFrame: (frame) => this.receive(frame),
        onError: (error: ProtocolError) => {
          this.handler.onProtocolError?.(error);
          this.destroy(error);
        },
      },
      { maxFrameSize: Math.min(MAX_HANDSHAKE_FRAME_SIZE, options.maxFrameSize) },
    );
  }

  /**
   * The peer proved it holds the endpoint key: frames up to maxFrameSize are accepted from the next
   * header on (those behind the proof in the same chunk included), and pings are answered.
   */
  authenticate(): void {
    this.authenticated = true;
    this.decoder.maxFrameSize = this.options.maxFrameSize;
  }

  /** An outgoing connection is up: the session sends its handshake. */
  onConnect(): void {
    this.handler.onConnect?.();
  }

  onData(chunk: Buffer): void {
    this.heard = true;
    this.bytesIn += chunk.length;
    this.decoder.push(chunk);
    const budget = this.options.partialFrames;
    if (budget && this.decoder.buffered !== this.held) this.countPartial(budget);
  }

  /** Keeps the server's total of unfinished frames; the connection whose frame takes it over the limit is dropped. */
  private countPartial(budget: FrameBudget): void {
    const held = this.closed ? 0 : this.decoder.buffered;
    const grew = held > this.held;
    budget.used += held - this.held;
    this.held = held;
    if (grew && budget.used > budget.limit) {
      this.destroy(new PeerLimitError('maxPartialFrameBytes', budget.limit, `peer ${this.remote} started a frame while unfinished frames already hold ${budget.used} bytes (maxPartialFrameBytes ${budget.limit})`));
    }
  }

  onError(error: Error): void {
    this.closeError ??= error;
  }

  onClose(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.options.partialFrames) this.countPartial(this.options.partialFrames);
    this.handler.onClose(this.closeError);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  get remote(): string {
    return this.connection.remote;
  }

  /**
   * The handshake is done: the peer is pinged every heartbeatInterval; a peer silent for heartbeatMaxMisses periods is dropped.
   */
  startHeartbeat(): void {
    if (!this.options.isCheckHeartbeat || this.heartbeatTimer) return;
    this.heartbeatTimer = setInterval(() => this.beat(), this.options.heartbeatInterval);
    this.heartbeatTimer.unref();
  }

  private beat(): void {
    // What the peer writes is no proof that it reads: a queue over the bound at two beats in a row is a peer that does not.
    const over = this.queued > this.maxQueued;
    if (over && this.overAtLastBeat) {
      this.destroy(this.queueLimitError());
      return;
    }
    this.overAtLastBeat = over;
    if (this.heard) {
      this.heard = false;
      this.missed = 0;
    } else if (++this.missed >= this.options.heartbeatMaxMisses) {
      const silentMs = this.missed * this.options.heartbeatInterval;
      this.destroy(new PeerSilentError(this.remote, this.missed, silentMs));
      return;
    }
    this.pingId = (this.pingId + 1) % 0x7fffffff;
    this.send(FrameKind.REQUEST, 0, this.pingId, 0, PING, EMPTY);
  }

  private receive(frame: Frame): void {
    // Pings are answered here so that a busy session layer still looks alive; before
    // authentication, every frame goes to the handshake.
    if (!this.authenticated) {
      this.handler.onFrame(frame);
      return;
    }
    if (isPing(frame)) {
      this.send(FrameKind.RESPONSE, 0, frame.id, 0, EMPTY, EMPTY);
      return;
    }
    if (isPong(frame)) return;
    try {
      this.handler.onFrame(frame);
    } catch (err) {
      // What a peer sent must never throw out of a socket handler: that peer alone is dropped.
      this.destroy(new BadRequestError(`peer ${this.remote} sent a frame that could not be handled: ${(err as Error)?.message}`, { cause: err }));
    }
  }

  /** Bytes written but not yet taken by the peer, and those laid out for the next write. */
  get queued(): number {
    return this.connection.writableLength + this.used;
  }

  /**
   * The queue is over maxQueuedBytes. A burst of answers to a follower that reads is taken by the
   * kernel within moments; a peer still over the bound QUEUE_GRACE_MS later, or over the hard
   * bound at any time, does not read: it is dropped, and its queue freed with its socket.
   */
  private overQueued(queued: number): boolean {
    const now = Date.now();
    if (queued <= this.hardMaxQueued) {
      if (this.overSince === 0) this.overSince = now;
      if (now - this.overSince < QUEUE_GRACE_MS) return false;
    }
    this.destroy(this.queueLimitError());
    return true;
  }

  private queueLimitError(): PeerLimitError {
    const max = this.options.maxQueuedBytes!;
    return new PeerLimitError('maxQueuedBytes', max, `peer ${this.remote} does not read: ${this.queued} bytes queued for it (maxQueuedBytes ${max})`);
  }

  /**
   * Queues one frame. Small frames sent in the same tick are laid one after another in a scratch
   * buffer and leave in one write on the next tick: one system call and one allocation per tick,
   * not per frame. A large body is written as it is, without a copy.
   */
  send(kind: FrameKind, flags: number, id: number, timeout: number, connection: Buffer, application: Buffer): boolean {
    if (this.closed || this.ended) return false;
    const queued = this.connection.writableLength + this.used;
    if (queued > this.maxQueued) {
      if (this.overQueued(queued)) return false;
    } else {
      this.overSince = 0;
    }
    const headLength = HEADER_SIZE + connection.length;
    this.bytesOut += headLength + application.length;
    if (application.length >= COPY_LIMIT) {
      this.flush();
      const head = Buffer.allocUnsafe(headLength);
      writeHeader(head, 0, kind, flags, id, timeout, connection.length, application.length);
      connection.copy(head, HEADER_SIZE);
      this.connection.write(head);
      this.connection.write(application);
      return true;
    }
    const at = this.reserve(headLength + application.length);
    writeHeader(this.scratch, at, kind, flags, id, timeout, connection.length, application.length);
    connection.copy(this.scratch, at + HEADER_SIZE);
    application.copy(this.scratch, at + headLength);
    return true;
  }

  /** Queues bytes that already form a whole frame (a handshake). */
  sendEncoded(frame: Buffer): boolean {
    if (this.closed || this.ended) return false;
    this.bytesOut += frame.length;
    frame.copy(this.scratch, this.reserve(frame.length));
    return true;
  }

  /** Room for `size` more bytes in the scratch buffer; returns where they go. */
  private reserve(size: number): number {
    if (this.used + size > this.scratch.length) {
      this.flush();
      if (size > this.scratch.length) this.scratch = Buffer.allocUnsafe(size);
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      process.nextTick(flushTransport, this);
    }
    const at = this.used;
    this.used += size;
    return at;
  }

  /**
   * Writes what the scratch buffer holds, without copying it. Usually the kernel takes the bytes
   * at once (nothing is left queued on the connection) and the buffer serves the next tick; otherwise
   * the connection keeps it until written, and the next frames go to a new one.
   */
  flush(): void {
    this.flushScheduled = false;
    if (this.used === 0 || this.closed || this.ended) return;
    this.connection.write(this.scratch.subarray(0, this.used));
    this.used = 0;
    if (this.connection.writableLength > 0) this.scratch = Buffer.allocUnsafe(this.scratch.length);
  }

  /** Flushes what is queued, then closes. */
  end(): void {
    if (this.closed || this.ended) return;
    this.flush();
    this.ended = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.connection.end();
  }

  destroy(error?: Error): void {
    if (error) this.closeError ??= error;
    this.connection.destroy();
  }
}

function flushTransport(transport: FramedTransport): void {
  transport.flush();
}
