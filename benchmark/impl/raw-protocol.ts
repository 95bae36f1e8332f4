// The baseline's wire format: what one would write by hand for a loopback service.
// Frame: u32 JSON length, u32 attachment length, JSON, attachment. A Buffer payload travels
// as the attachment (raw bytes) rather than inside the JSON, so the baseline is the practical limit.
import type { Socket } from 'node:net';

export interface RawRequest {
  id: number;
  method: string;
  /** absent when the argument is the attachment */
  arg?: unknown;
}

export interface RawResponse {
  id: number;
  result?: unknown;
  error?: string;
}

export interface RawEvent {
  topic: string;
  event: unknown;
}

export type RawMessage = RawRequest | RawResponse | RawEvent;

const HEADER_BYTES = 8;

/** Encodes `message` with `payload` under `payloadKey`, or as the attachment when it is a Buffer. */
export function encodeFrame(message: RawMessage, payloadKey: 'arg' | 'result' | 'event', payload: unknown): Buffer[] {
  const attachment = Buffer.isBuffer(payload) ? payload : undefined;
  const json = JSON.stringify(attachment || payload === undefined ? message : { ...message, [payloadKey]: payload });
  const jsonBytes = Buffer.byteLength(json);
  const head = Buffer.allocUnsafe(HEADER_BYTES + jsonBytes);
  head.writeUInt32BE(jsonBytes, 0);
  head.writeUInt32BE(attachment ? attachment.length : 0, 4);
  head.write(json, HEADER_BYTES, 'utf8');
  return attachment ? [head, attachment] : [head];
}

// Frames written in the same tick leave in one system call, as any loopback service worth
// measuring against would do: without it the baseline measures syscalls, not the loopback.
const corkedThisTick = new WeakSet<Socket>();

function uncork(socket: Socket): void {
  corkedThisTick.delete(socket);
  socket.uncork();
}

export function writeFrame(socket: Socket, parts: Buffer[]): void {
  if (!corkedThisTick.has(socket)) {
    corkedThisTick.add(socket);
    socket.cork();
    process.nextTick(uncork, socket);
  }
  for (const part of parts) socket.write(part);
}

/** Reassembles frames from socket chunks without copying a chunk more than needed. */
export class FrameReader<M extends RawMessage = RawMessage> {
  #chunks: Buffer[] = [];
  #buffered = 0;

  constructor(private readonly onFrame: (message: M, attachment: Buffer | undefined) => void) {}

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= HEADER_BYTES) {
      let first = this.#chunks[0].length >= HEADER_BYTES ? this.#chunks[0] : this.#flatten();
      const jsonBytes = first.readUInt32BE(0);
      const attachmentBytes = first.readUInt32BE(4);
      const frameBytes = HEADER_BYTES + jsonBytes + attachmentBytes;
      if (this.#buffered < frameBytes) return;
      if (first.length < frameBytes) first = this.#flatten();

      const message = JSON.parse(first.toString('utf8', HEADER_BYTES, HEADER_BYTES + jsonBytes)) as M;
      const attachment = attachmentBytes > 0 ? first.subarray(HEADER_BYTES + jsonBytes, frameBytes) : undefined;
      if (first.length === frameBytes) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(frameBytes);
      this.#buffered -= frameBytes;
      this.onFrame(message, attachment);
    }
  }

  #flatten(): Buffer {
    const all = Buffer.concat(this.#chunks, this.#buffered);
    this.#chunks = [all];
    return all;
  }
}
