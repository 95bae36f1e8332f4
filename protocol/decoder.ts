import { DEFAULT_MAX_FRAME_SIZE, EMPTY, HEADER_SIZE } from './constants.js';
import { ProtocolError } from './errors.js';
import { copyBytes } from './copy.js';
import { decodeHeader, emptyHeader } from './frame.js';
import type { Frame } from './frame.js';

export interface FrameHandler {
  onFrame(frame: Frame): void;
  onError(error: ProtocolError): void;
}

export interface FrameDecoderOptions {
  /** Largest connection + application body accepted in one frame; default DEFAULT_MAX_FRAME_SIZE (64 MiB). */
  maxFrameSize?: number;
}

/**
 * Splits a byte stream into frames: a pure state machine (no sockets, no timers).
 *
 * - Feed it chunks of any size with push(); it calls handler.onFrame for every whole frame, in order.
 * - A header is validated as soon as its 24 bytes are there: a header announcing a body over
 *   maxFrameSize fails before any of the body arrives, and nothing is allocated for it.
 * - On the first invalid header it calls handler.onError once, drops what it holds and ignores all
 *   further input (the stream is unusable: close it). Frames before the invalid header are delivered.
 * - push() never throws on its own account.
 *
 * Buffers and ownership:
 * - When a whole frame lies inside one chunk, frame.connection / frame.application are zero-copy
 *   subarrays of that chunk. So push() takes ownership of the chunk: do not modify or reuse it
 *   afterwards (chunks from a net.Socket 'data' event are fine; a socket with a reused `onread`
 *   buffer is not). Holding on to a small body keeps its whole chunk in memory.
 * - When a frame spans chunks, its body is copied into one buffer of exactly its size, allocated
 *   once its header is known; frame.connection / frame.application are subarrays of that buffer.
 * - A partial header waits in a small reusable 24-byte buffer.
 * - An empty body is one shared zero-length Buffer.
 *
 * If handler.onFrame throws, that is a bug in the handler: the exception propagates out of push()
 * unchanged, and the decoder stays consistent. The bytes of that chunk after the frame whose
 * handler threw are kept, and decoded (before the new bytes) by the next push() call; push() of an
 * empty Buffer resumes them without adding input. The same holds if handler.onError throws (the
 * decoder has failed by then; nothing more is delivered).
 *
 * push() may be called from inside onFrame (re-entrantly): the chunk is queued and decoded after
 * the current one, in order.
 */
export class FrameDecoder {
  private readonly handler: FrameHandler;
  private maxFrameSizeValue: number;

  /** A partial header, copied here until its 24 bytes are there. */
  private readonly headerBuffer = Buffer.allocUnsafe(HEADER_SIZE);
  private headerFilled = 0;

  /** The body of a frame spanning chunks (null when none is in progress). */
  private body: Buffer | null = null;
  private bodyFilled = 0;

  /** The header of the frame whose body is in progress (one object, refilled for every frame). */
  private readonly header = emptyHeader();
  /** Its connection + application length. */
  private bodyLength = 0;

  private failedFlag = false;
  /** True while decoding: push() called from a handler queues its chunk instead. */
  private busy = false;
  /** Chunks (or the rest of one) waiting to be decoded, in stream order. */
  private queue: Buffer[] = [];
  private queuedBytes = 0;

  constructor(handler: FrameHandler, options: FrameDecoderOptions = {}) {
    this.handler = handler;
    this.maxFrameSizeValue = checkMaxFrameSize(options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE);
  }

  /** Largest connection + application body accepted in one frame. */
  get maxFrameSize(): number {
    return this.maxFrameSizeValue;
  }

  /**
   * Changes the limit for every header not yet read, those later in the chunk being decoded
   * included: a handler raises it once the peer is authenticated. A body already in progress keeps
   * the limit its header was checked against.
   */
  set maxFrameSize(value: number) {
    this.maxFrameSizeValue = checkMaxFrameSize(value);
  }

  /** Bytes this decoder holds in memory: the whole body of a frame in progress (allocated once its header is known), a partial header, queued chunks. */
  get buffered(): number {
    return (this.body !== null ? HEADER_SIZE + this.body.length : this.headerFilled) + this.queuedBytes;
  }

  /** True once an invalid frame was seen: all further input is ignored. */
  get failed(): boolean {
    return this.failedFlag;
  }

  /** Bytes held waiting for the rest of a frame (plus any kept after a handler threw). */
  get pending(): number {
    return (this.body !== null ? HEADER_SIZE + this.bodyFilled : this.headerFilled) + this.queuedBytes;
  }

  /** Feed bytes in arbitrary chunks. See the class comment for ownership of `chunk` and for exceptions. */
  push(chunk: Buffer): void {
    if (this.failedFlag) return;
    if (this.busy) {
      // Re-entrant call from a handler: decode after the chunk in progress.
      this.enqueue(chunk);
      return;
    }
    this.busy = true;
    try {
      if (this.queue.length === 0) {
        this.consume(chunk);
      } else {
        this.enqueue(chunk);
      }
      while (this.queue.length > 0 && !this.failedFlag) {
        const next = this.queue.shift()!;
        this.queuedBytes -= next.length;
        this.consume(next);
      }
    } finally {
      this.busy = false;
    }
  }

  private enqueue(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.queue.push(chunk);
    this.queuedBytes += chunk.length;
  }

  private consume(chunk: Buffer): void {
    const end = chunk.length;
    let offset = 0;

    // 1. The rest of a body in progress.
    if (this.body !== null) {
      const n = Math.min(this.bodyLength - this.bodyFilled, end);
      chunk.copy(this.body, this.bodyFilled, 0, n);
      this.bodyFilled += n;
      offset = n;
      if (this.bodyFilled < this.bodyLength) return;
      const body = this.body;
      this.body = null;
      this.bodyFilled = 0;
      this.deliver(body, 0, chunk, offset);
    }

    // 2. The rest of a partial header.
    if (this.headerFilled > 0) {
      const n = Math.min(HEADER_SIZE - this.headerFilled, end - offset);
      copyBytes(chunk, offset, offset + n, this.headerBuffer, this.headerFilled);
      this.headerFilled += n;
      offset += n;
      if (this.headerFilled < HEADER_SIZE) return;
      this.headerFilled = 0;
      if (!this.parseHeader(this.headerBuffer, 0)) return;
      offset = this.startBody(chunk, offset);
      if (offset < 0) return;
    }

    // 3. Whole headers in this chunk (the fast path: zero-copy bodies when they are here too).
    while (offset < end) {
      if (end - offset < HEADER_SIZE) {
        copyBytes(chunk, offset, end, this.headerBuffer, 0);
        this.headerFilled = end - offset;
        return;
      }
      if (!this.parseHeader(chunk, offset)) return;
      offset = this.startBody(chunk, offset + HEADER_SIZE);
      if (offset < 0) return;
    }
  }

  /** Validates the header at source[offset] and keeps its fields; on error fails the decoder and returns false. */
  private parseHeader(source: Buffer, offset: number): boolean {
    const error = decodeHeader(source, offset, this.maxFrameSizeValue, this.header);
    if (error !== null) {
      this.fail(error);
      return false;
    }
    this.bodyLength = this.header.connectionLength + this.header.applicationLength;
    return true;
  }

  /**
   * The header is parsed and the body starts at chunk[offset]. Delivers the frame zero-copy if its
   * body is all in this chunk and returns the offset after it; otherwise copies what is there into
   * a new body buffer and returns -1.
   */
  private startBody(chunk: Buffer, offset: number): number {
    const available = chunk.length - offset;
    if (available >= this.bodyLength) {
      const next = offset + this.bodyLength;
      this.deliver(chunk, offset, chunk, next);
      return next;
    }
    const body = Buffer.allocUnsafe(this.bodyLength);
    chunk.copy(body, 0, offset);
    this.body = body;
    this.bodyFilled = available;
    return -1;
  }

  /** Calls onFrame with the body at source[bodyStart...]; if it throws, keeps chunk[nextOffset...] for the next push(). */
  private deliver(source: Buffer, bodyStart: number, chunk: Buffer, nextOffset: number): void {
    const header = this.header;
    const connectionEnd = bodyStart + header.connectionLength;
    const bodyEnd = bodyStart + this.bodyLength;
    const frame: Frame = {
      kind: header.kind,
      flags: header.flags,
      id: header.id,
      timeout: header.timeout,
      connection: connectionEnd > bodyStart ? source.subarray(bodyStart, connectionEnd) : EMPTY,
      application: bodyEnd > connectionEnd ? source.subarray(connectionEnd, bodyEnd) : EMPTY,
    };
    try {
      this.handler.onFrame(frame);
    } catch (error) {
      if (nextOffset < chunk.length && !this.failedFlag) {
        const rest = chunk.subarray(nextOffset);
        this.queue.unshift(rest);
        this.queuedBytes += rest.length;
      }
      throw error;
    }
  }

  private fail(error: ProtocolError): void {
    this.failedFlag = true;
    this.body = null;
    this.bodyFilled = 0;
    this.headerFilled = 0;
    this.queue = [];
    this.queuedBytes = 0;
    this.handler.onError(error);
  }
}

function checkMaxFrameSize(maxFrameSize: number): number {
  if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 0) {
    throw new RangeError(`maxFrameSize must be an integer >= 0, got ${String(maxFrameSize)}`);
  }
  return maxFrameSize;
}
