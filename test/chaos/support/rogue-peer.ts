// A peer that authenticates with the right key, then sends whatever a test wants: garbage frames,
// floods, huge frames, or nothing at all. For fuzzing what a leader does after authentication.
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import { ConnectingHandshake } from '../../../protocol/auth.js';
import type { ConnectingRole, HandshakeIdentity, LeaderHello } from '../../../protocol/auth.js';
import { FrameDecoder, encodeFrame, encodeValue } from '../../../protocol/index.js';
import type { Frame, FrameKind } from '../../../protocol/index.js';

export type Target = { port: number; host?: string } | { path: string };

export class RoguePeer {
  /** Frames received after the handshake, in order. */
  readonly frames: Frame[] = [];
  /** Settles when the socket closes, with its error if any. */
  readonly closed: Promise<Error | undefined>;
  private waiters: Array<() => void> = [];
  private error: Error | undefined;

  private constructor(readonly socket: Socket, readonly leader: LeaderHello) {
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.error)));
    socket.on('error', (error) => (this.error = error));
  }

  /**
   * Connects and completes the handshake as role with identity's key; `after` is written in the
   * same write as the auth frame (e.g. a first request). Rejects with the handshake's error
   * (AuthError if the leader does not prove the key) or on timeout.
   */
  static connect(target: Target, identity: HandshakeIdentity, options: { role?: ConnectingRole; after?: Buffer; timeoutMs?: number } = {}): Promise<RoguePeer> {
    const handshake = new ConnectingHandshake(identity, options.role ?? 'follower');
    const timeoutMs = options.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const socket = 'path' in target ? connect(target.path) : connect(target.port, target.host ?? '127.0.0.1');
      let peer: RoguePeer | undefined;
      const fail = (error: Error) => {
        clearTimeout(timer);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => fail(new Error(`handshake not done within ${timeoutMs} ms`)), timeoutMs);
      const decoder = new FrameDecoder(
        {
          onFrame: (frame) => {
            if (peer) {
              peer.frames.push(frame);
              peer.wake();
              return;
            }
            try {
              const { leader, auth } = handshake.acceptLeaderHello(frame);
              clearTimeout(timer);
              socket.write(options.after ? Buffer.concat([auth, options.after]) : auth);
              peer = new RoguePeer(socket, leader);
              resolve(peer);
            } catch (error) {
              fail(error as Error);
            }
          },
          onError: (error) => (peer ? socket.destroy(error) : fail(error)),
        },
      );
      socket.on('data', (chunk: Buffer) => decoder.push(chunk));
      socket.once('connect', () => socket.write(handshake.hello()));
      socket.once('error', (error) => peer || fail(error));
      socket.once('close', () => peer || fail(new Error('the peer closed the socket during the handshake')));
    });
  }

  /** Writes raw bytes: anything, valid or not. */
  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes one frame with the given connection and application values encoded as MessagePack. */
  sendFrame(kind: FrameKind, id: number, connection: unknown, application?: unknown): void {
    const body = application === undefined ? Buffer.alloc(0) : encodeValue(application);
    this.socket.write(encodeFrame(kind, 0, id, 0, encodeValue(connection), body));
  }

  /** The next frame received, or a rejection after timeoutMs or once the socket closed. */
  async nextFrame(timeoutMs = 5000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length === 0) {
      if (this.socket.destroyed) throw new Error(`the socket closed before a frame came${this.error ? ` (${this.error.message})` : ''}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.socket.off('close', wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.push(wake);
        this.socket.once('close', wake);
      });
    }
    return this.frames.shift()!;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
