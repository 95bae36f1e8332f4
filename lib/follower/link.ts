// A follower's link to the leader: handshake, requests with ids and deadlines, pushes from the leader.
import { AuthError, ConnectingHandshake, decodeConnection, FrameKind, Op, PROTOCOL_VERSION, ProtocolError, type Frame, type HandshakeIdentity } from '../../protocol/index.js';
import { DeadlineSweep } from '../deadline-sweep.js';
import { ResponseTimeoutError } from '../errors.js';
import { deadlineFromNow } from '../shared-clock.js';
import { describeEndpoint, type Endpoint, type Network } from '../transport/connection.js';
import { FramedTransport, type TransportOptions } from '../transport/framed.js';
import { ConnectFailedError, LinkLostError, reasonOf } from './link-errors.js';

export interface LinkHandler {
  onPush(name: string, subId: number, frame: Frame): void;
  onHandover(name: string, frame: Frame): void;
  onLost(link: LeaderLink, error: Error | undefined): void;
}

/**
 * A request waiting for its response. It hears exactly one of: onResponse, or onFailure with a
 * LinkLostError or a ResponseTimeoutError. The caller's own object is what waits, so that a call
 * costs no promise and no closures here.
 */
export interface PendingRequest {
  readonly method: string;
  readonly timeout: number;
  /** Set by the link when the request is sent. */
  deadline: number;
  onResponse(frame: Frame): void;
  onFailure(error: Error): void;
}

/** The pending request behind request(): a promise of the response frame. */
class FrameRequest implements PendingRequest {
  deadline = 0;
  constructor(readonly method: string, readonly timeout: number, readonly onResponse: (frame: Frame) => void, readonly onFailure: (error: Error) => void) {}
}

export interface LinkOptions extends TransportOptions {
  /** How long whatever holds the endpoint has to answer the handshake. */
  connectTimeout: number;
}

export function linkOptionsOf(options: LinkOptions): LinkOptions {
  const { maxFrameSize, heartbeatInterval, heartbeatMaxMisses, isCheckHeartbeat, connectTimeout } = options;
  return { maxFrameSize, heartbeatInterval, heartbeatMaxMisses, isCheckHeartbeat, connectTimeout };
}

interface Handshake {
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class LeaderLink {
  private nextId = 1;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly sweep = new DeadlineSweep((now) => this.expire(now));
  private handshake: Handshake | null = null;
  private lastConnection: Buffer | null = null;
  private lastMessage: unknown[] = [];
  /** The connection is up and this side's hello was sent. */
  private helloSent = false;
  private readonly transport: FramedTransport;
  private readonly auth: ConnectingHandshake;
  leaderPid = 0;
  /** The leader said goodbye: it is closing gracefully, so losing it is no fault. */
  farewell = false;

  private constructor(
    network: Network,
    private readonly endpoint: Endpoint,
    identity: HandshakeIdentity,
    options: LinkOptions,
    private readonly handler: LinkHandler,
    private readonly early: ((link: LeaderLink) => void) | undefined,
  ) {
    this.auth = new ConnectingHandshake(identity, 'follower');
    this.transport = new FramedTransport(network.connect(endpoint), {
      onConnect: () => {
        this.helloSent = true;
        this.transport.sendEncoded(this.auth.hello());
      },
      onFrame: (frame) => this.receive(frame),
      onClose: (error) => this.lost(error),
    }, options);
  }

  /**
   * Connects to whatever holds the endpoint and has it prove it holds the endpoint key, before
   * sending anything but a hello: a squatter learns nothing. `early` runs once the leader's proof is
   * verified: what it sends (the channel opens) leaves in the same write as this side's proof, so
   * the handshake costs one round trip.
   */
  static connect(network: Network, endpoint: Endpoint, identity: HandshakeIdentity, options: LinkOptions, handler: LinkHandler, early?: (link: LeaderLink) => void): Promise<LeaderLink> {
    const link = new LeaderLink(network, endpoint, identity, options, handler, early);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        link.failHandshake(new ConnectFailedError(
          'silent',
          `${describeEndpoint(endpoint)} accepted a connection but did not answer the onelink handshake within ${options.connectTimeout} ms: ` +
            'is another program using this port? Choose another with the `port` option or NODE_CLUSTER_CLIENT_PORT',
        ));
      }, options.connectTimeout);
      link.handshake = { resolve: () => resolve(link), reject, timer };
    });
  }

  private completeHandshake(frame: Frame): void {
    const handshake = this.handshake!;
    const where = describeEndpoint(this.endpoint);
    let auth: Buffer;
    try {
      const accepted = this.auth.acceptLeaderHello(frame);
      this.leaderPid = accepted.leader.pid;
      auth = accepted.auth;
    } catch (err) {
      if (err instanceof AuthError) this.failHandshake(new ConnectFailedError('unauthenticated', `${where}: ${err.message}`, { cause: err }));
      else this.failHandshake(versionFailure(err, where) ?? new ConnectFailedError('foreign', `${where} is not a onelink leader of this version: ${(err as Error).message}`, { cause: err }));
      return;
    }
    this.handshake = null;
    clearTimeout(handshake.timer);
    this.transport.sendEncoded(auth);
    this.transport.authenticate();
    this.early?.(this);
    this.transport.startHeartbeat();
    handshake.resolve();
  }

  private failHandshake(error: ConnectFailedError): void {
    const handshake = this.handshake;
    if (!handshake) return;
    this.handshake = null;
    clearTimeout(handshake.timer);
    this.transport.destroy();
    handshake.reject(error);
  }

  get closed(): boolean {
    return this.transport.isClosed;
  }

  /** Sends a request; resolves with the response frame (status checked by the caller). */
  request(connection: Buffer, flags: number, application: Buffer, method: string, timeout: number): Promise<Frame> {
    return new Promise((resolve, reject) => {
      this.start(connection, flags, application, new FrameRequest(method, timeout, resolve, reject));
    });
  }

  /** Sends a request; `pending` hears how it ends (a closed link fails it at once). */
  start(connection: Buffer, flags: number, application: Buffer, pending: PendingRequest): void {
    const id = this.nextId++;
    // The header carries the absolute deadline, so that the leader never starts a request its caller gave up on.
    if (!this.transport.send(FrameKind.REQUEST, flags, id, deadlineFromNow(pending.timeout), connection, application)) {
      pending.onFailure(new LinkLostError(undefined));
      return;
    }
    pending.deadline = Date.now() + pending.timeout;
    this.pending.set(id, pending);
    this.sweep.arm(pending.timeout);
  }

  /** A request that gets no response (invokeOneway, unSubscribe, close of a channel). */
  post(connection: Buffer, flags: number, application: Buffer): boolean {
    return this.transport.send(FrameKind.REQUEST, flags, 0, 0, connection, application);
  }

  close(): void {
    this.transport.end();
  }

  destroy(error?: Error): void {
    this.transport.destroy(error);
  }

  private receive(frame: Frame): void {
    if (this.handshake) {
      this.completeHandshake(frame);
      return;
    }
    if (frame.kind === FrameKind.RESPONSE) {
      const pending = this.pending.get(frame.id);
      if (!pending) return; // answered after its deadline: the caller already got a ResponseTimeoutError
      this.pending.delete(frame.id);
      pending.onResponse(frame);
      return;
    }
    // Pushes of one subscription repeat one connection object: decode it once, not once per value.
    if (!this.lastConnection || !frame.connection.equals(this.lastConnection)) {
      const message = leaderMessage(frame.connection);
      if (!message) {
        this.transport.destroy(new ProtocolError('ERR_ONELINK_PROTOCOL_BODY', `the leader sent a request this follower cannot read (${frame.connection.length} bytes of connection object)`));
        return;
      }
      this.lastMessage = message;
      this.lastConnection = Buffer.from(frame.connection); // a copy: a view would keep its whole chunk alive
    }
    const message = this.lastMessage;
    if (message[0] === Op.PUSH) this.handler.onPush(message[1] as string, message[2] as number, frame);
    else if (message[0] === Op.HANDOVER) this.handler.onHandover(message[1] as string, frame);
    else if (message[0] === Op.GOODBYE) this.farewell = true;
  }

  /** Fails the requests past their deadline; returns whether requests still wait. */
  private expire(now: number): boolean {
    for (const [id, pending] of this.pending) {
      if (pending.deadline > now) continue;
      this.pending.delete(id);
      pending.onFailure(new ResponseTimeoutError(pending.method, pending.timeout));
    }
    return this.pending.size > 0;
  }

  private lost(error: Error | undefined): void {
    this.sweep.stop();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.onFailure(new LinkLostError(error));
    if (this.handshake) {
      const where = describeEndpoint(this.endpoint);
      this.failHandshake(this.helloSent && this.transport.bytesIn === 0 && isClose(error) ? unanswered(error, where) : handshakeFailure(error, where));
      return;
    }
    this.handler.onLost(this, error);
  }
}

/** A PUSH [op, name, subId] or HANDOVER [op, name] from the leader; null for anything else. */
function leaderMessage(connection: Buffer): unknown[] | null {
  let message: unknown[];
  try {
    message = decodeConnection(connection);
  } catch {
    return null;
  }
  if (message[0] === Op.GOODBYE) return message;
  if (typeof message[1] !== 'string') return null;
  if (message[0] === Op.PUSH) return Number.isSafeInteger(message[2]) ? message : null;
  return message[0] === Op.HANDOVER ? message : null;
}

/** What the end of the connection during the handshake says about the holder of the endpoint. */
function handshakeFailure(error: Error | undefined, where: string): ConnectFailedError {
  const version = versionFailure(error, where);
  if (version) return version;
  if (error instanceof ProtocolError) return new ConnectFailedError('foreign', `${where} answered with bytes that are not the onelink protocol: ${error.message}`, { cause: error });
  if (error) return new ConnectFailedError(reasonOf(error), error.message, { cause: error });
  return new ConnectFailedError('reset', `${where} closed the connection during the handshake`);
}

/** The leader answered as a onelink of another protocol version: say which, and what to do. */
function versionFailure(error: unknown, where: string): ConnectFailedError | null {
  if (!(error instanceof ProtocolError) || error.peerVersion === undefined) return null;
  const { peerVersion } = error;
  return new ConnectFailedError(
    'version',
    `the leader on ${where} speaks onelink protocol ${peerVersion}, this process protocol ${PROTOCOL_VERSION}: upgrade all processes of the app together`,
    { cause: error, peerVersion },
  );
}

/** A close or reset, as opposed to another failure of the connection. */
function isClose(error: Error | undefined): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return error === undefined || code === 'ECONNRESET' || code === 'EPIPE';
}

/**
 * The holder accepted the connection and closed it without a byte after this side's hello. A leader
 * of protocol 1 does exactly that on a hello of a later protocol; a leader that is closing, or at
 * maxConnections with every connection authenticated, does it too, for a moment.
 */
function unanswered(error: Error | undefined, where: string): ConnectFailedError {
  return new ConnectFailedError(
    'reset',
    `${where} accepted the connection and closed it without answering this process's hello (onelink protocol ${PROTOCOL_VERSION}). ` +
      'A leader of an older onelink (protocol 1) does this: if it goes on, upgrade all processes of the app together',
    error ? { cause: error } : undefined,
  );
}
