// An authenticated observer of an endpoint's leader: it proves it holds the endpoint key with the
// role 'observer' (it never follows, never takes part in an election) and may only ask for stats.
import { AuthError, ConnectingHandshake, decodeValue, EMPTY, encodeConnection, FrameKind, Op, ProtocolError, type Frame, type HandshakeIdentity } from '../../protocol/index.js';
import { errorOfResponse, isErrorResponse } from '../call-policy.js';
import { OnelinkError } from '../errors.js';
import { describeEndpoint, type Endpoint, type Network } from '../transport/connection.js';
import { FramedTransport } from '../transport/framed.js';
import type { LeaderStatus } from './status.js';

/**
 * Why no stats could be read:
 * - nobody: nothing listens on the endpoint;
 * - foreign: what holds it does not speak the onelink protocol (of this version), or stays silent;
 * - unauthenticated: a onelink process that cannot prove it holds this application's key;
 * - lost: the connection failed or closed before the answer.
 */
export type ObserveFailureReason = 'nobody' | 'foreign' | 'unauthenticated' | 'lost';

export class ObserveError extends OnelinkError {
  constructor(readonly reason: ObserveFailureReason, message: string, options?: { cause?: unknown }) {
    super(`ERR_ONELINK_OBSERVE_${reason.toUpperCase()}`, message, options);
  }
}

const STATS = encodeConnection([Op.STATS]);
/** Largest stats answer accepted: a leader with thousands of followers fits. */
const MAX_FRAME_SIZE = 16 * 1024 * 1024;

export interface ObserverOptions {
  /** For the handshake and for each answer. Default 3000 ms. */
  timeout?: number;
}

export class Observer {
  private readonly transport: FramedTransport;
  private readonly auth: ConnectingHandshake;
  private readonly where: string;
  private authenticated = false;
  private waiting: { resolve(frame: Frame): void; reject(error: Error): void; timer: NodeJS.Timeout } | null = null;
  private nextId = 1;
  private closedWith: ObserveError | null = null;

  private constructor(network: Network, endpoint: Endpoint, identity: HandshakeIdentity, private readonly timeout: number) {
    this.where = describeEndpoint(endpoint);
    this.auth = new ConnectingHandshake(identity, 'observer');
    this.transport = new FramedTransport(network.connect(endpoint), {
      onConnect: () => this.transport.sendEncoded(this.auth.hello()),
      onFrame: (frame) => this.receive(frame),
      onClose: (error) => this.closed(error),
    }, { maxFrameSize: MAX_FRAME_SIZE, heartbeatInterval: 0, heartbeatMaxMisses: 0, isCheckHeartbeat: false });
  }

  /** Connects and completes the handshake; rejects with ObserveError. */
  static async connect(network: Network, endpoint: Endpoint, identity: HandshakeIdentity, options: ObserverOptions = {}): Promise<Observer> {
    const observer = new Observer(network, endpoint, identity, options.timeout ?? 3000);
    await observer.wait('the onelink handshake');
    return observer;
  }

  /** The leader's stats. */
  async stats(): Promise<LeaderStatus> {
    if (this.closedWith) throw this.closedWith;
    this.transport.send(FrameKind.REQUEST, 0, this.nextId++, this.timeout, STATS, EMPTY);
    const frame = await this.wait('the stats');
    if (isErrorResponse(frame)) throw errorOfResponse(frame);
    return decodeValue(frame.application) as LeaderStatus;
  }

  close(): void {
    this.transport.end();
    this.transport.destroy();
  }

  private wait(what: string): Promise<Frame> {
    return new Promise((resolve, reject) => {
      if (this.closedWith) {
        reject(this.closedWith);
        return;
      }
      const timer = setTimeout(() => {
        this.fail(new ObserveError(
          this.authenticated ? 'lost' : 'foreign',
          this.authenticated
            ? `the leader on ${this.where} did not send ${what} within ${this.timeout} ms`
            : `${this.where} accepted the connection but did not answer the onelink handshake within ${this.timeout} ms: another program holds it`,
        ));
      }, this.timeout);
      this.waiting = { resolve, reject, timer };
    });
  }

  private settle(frame: Frame): void {
    const waiting = this.waiting;
    if (!waiting) return;
    this.waiting = null;
    clearTimeout(waiting.timer);
    waiting.resolve(frame);
  }

  private receive(frame: Frame): void {
    if (this.authenticated) {
      if (frame.kind === FrameKind.RESPONSE) this.settle(frame);
      return;
    }
    try {
      const { auth } = this.auth.acceptLeaderHello(frame);
      this.transport.sendEncoded(auth);
    } catch (err) {
      this.fail(err instanceof AuthError
        ? new ObserveError('unauthenticated', `${this.where} is held by a process that cannot prove it holds this application's key: a process of another user or application (or ONELINK_SECRET differs)`, { cause: err })
        : new ObserveError('foreign', `${this.where} is held by a program that is not a onelink leader of this version: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.authenticated = true;
    this.transport.authenticate();
    this.settle(frame);
  }

  private fail(error: ObserveError): void {
    this.closedWith ??= error;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(this.closedWith);
    }
    this.transport.destroy();
  }

  private closed(error: Error | undefined): void {
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (!this.authenticated && (code === 'ECONNREFUSED' || code === 'ENOENT')) {
      this.fail(new ObserveError('nobody', `nothing listens on ${this.where}: no onelink process uses this endpoint`, { cause: error }));
    } else if (!this.authenticated && error instanceof ProtocolError) {
      this.fail(new ObserveError('foreign', `${this.where} is held by a program that does not speak the onelink protocol: ${error.message}`, { cause: error }));
    } else if (!this.authenticated) {
      this.fail(new ObserveError('foreign', `${this.where} closed the connection during the onelink handshake${error ? ` (${error.message})` : ''}: another program holds it, or its leader is closing`, { cause: error }));
    } else {
      this.fail(new ObserveError('lost', `the leader on ${this.where} closed the connection${error ? ` (${error.message})` : ''}`, { cause: error }));
    }
  }
}
