// One follower's connection on the leader's side: its handshake, then the operations it sends
// (open, invoke, subscribe, publish, close...) served by the DataClients of the pool.
// A follower's bad bytes close that follower's connection and nothing else; a peer that does not
// prove it holds the endpoint key gets nothing but the leader's hello.
import { setMaxListeners } from 'node:events';
import { decodeArgs, decodeConnection, decodePayload, EMPTY, encodeConnection, encodePayload, encodePayloadToSend, encodeValue, encodeVersionRefusal, ERROR_RESPONSE, errorToWire, FrameKind, isVersionMismatch, LeaderHandshake, OK_RESPONSE, Op, type ConnectingRole, type Frame, type HandshakeIdentity, type Payload, type ProtocolError, type Transcode } from '../../protocol/index.js';
import { BadRequestError, LeaderClosingError, ObserverRefusedError, OnelinkError, OptionsMismatchError, PeerLimitError } from '../errors.js';
import { errorCode } from '../observe/call-stats.js';
import type { FollowerStatus, LeaderCounters, LeaderStatus } from '../observe/status.js';
import type { Logger } from '../options.js';
import type { RateLimitedLog } from '../rate-limited-log.js';
import { checkFrameSize } from '../frame-limit.js';
import { isPastDeadline } from '../shared-clock.js';
import { agreementOf, disagreement, type ChannelAgreement } from '../spec.js';
import type { Connection } from '../transport/connection.js';
import { FramedTransport, type TransportOptions } from '../transport/framed.js';
import type { DataClientHost, Subscriber } from './host.js';
import type { DataClientPool } from './pool.js';

/** What one follower may hold on the leader at most (see ClusterOptions). */
export interface PeerLimits {
  maxRequestsPerPeer: number;
  maxChannelsPerPeer: number;
  maxPendingOpensPerPeer: number;
  maxSubscriptionsPerPeer: number;
}

export interface LeaderOptions {
  transport: TransportOptions;
  /** A connection that does not complete the handshake (its proof verified) within this time is dropped. */
  connectTimeout: number;
  /** What this leader proves, and checks that followers prove. */
  identity: HandshakeIdentity;
  logger: Logger;
  /** The endpoint, as the stats name it. */
  endpoint: string;
  /** This process's failovers so far, for the stats. */
  failovers(): { failovers: number; lastFailoverMs: number | null };
  limits: PeerLimits & { maxQueuedBytes: number; maxConnections: number; maxPartialFrameBytes: number; peerLogInterval: number };
}

/** What a follower's connection needs from the server that accepted it. */
export interface ConnectionOwner {
  readonly pool: DataClientPool;
  readonly options: LeaderOptions;
  readonly counters: LeaderCounters;
  /** The answer to a STATS request. */
  status(): LeaderStatus;
  /** The transport options of every connection, with the bounds of the server's shared budgets. */
  readonly transportOptions: TransportOptions;
  /** Warnings caused by peers, rate-limited per peer and reason. */
  readonly log: RateLimitedLog;
  /** The connection proved the key: it is served from now on, and never evicted to make room. */
  authenticated(connection: FollowerConnection): void;
  /** The connection closed. */
  forget(connection: FollowerConnection): void;
}

const GOODBYE = encodeConnection([Op.GOODBYE]);

export class FollowerConnection {
  private readonly transport: FramedTransport;
  private readonly auth: LeaderHandshake;
  /** Where the handshake is: the follower's hello is awaited, then its proof; then it is served. */
  private stage: 'hello' | 'proof' | 'served' = 'hello';
  private readonly handshakeTimer: NodeJS.Timeout;
  /** Channels this follower opened. */
  private readonly channels = new Map<string, DataClientHost>();
  /** Per channel name: OPENs still waiting for the DataClient, and CLOSEs that arrived meanwhile. */
  private readonly opening = new Map<string, { pending: number; closed: number }>();
  /** OPENs of all names still waiting for their DataClient. */
  private pendingOpens = 0;
  /** Ends the OPENs still waiting when the connection closes: nothing is held for a follower that went away. */
  private readonly gone = new AbortController();
  /** The key is formatKey(reg), computed once, before anything is stored: formatKey may throw on what a peer sent. */
  private readonly subscriptions = new Map<number, { host: DataClientHost; key: string; subscriber: Subscriber }>();
  /** Requests being served, so that a graceful close answers them first, and bounded by maxRequestsPerPeer. */
  private inflight = 0;
  /** The leader is closing: calls that arrive now are refused unstarted, for the follower to send to the next leader. */
  private refusing = false;
  private drained: (() => void) | null = null;
  /** Who connected, as its hello says: a follower, or an observer that may only read stats. */
  role: ConnectingRole | null = null;
  private pid = 0;
  readonly connectedAt = Date.now();
  private calls = 0;
  private errors = 0;

  private readonly pool: DataClientPool;
  private readonly logger: Logger;
  private readonly limits: PeerLimits;

  constructor(private readonly owner: ConnectionOwner, connection: Connection) {
    const { options } = owner;
    this.pool = owner.pool;
    this.logger = options.logger;
    this.auth = new LeaderHandshake(options.identity);
    this.limits = options.limits;
    // Each waiting OPEN listens for the connection's end; their number is bounded by maxPendingOpensPerPeer.
    setMaxListeners(this.limits.maxPendingOpensPerPeer + 1, this.gone.signal);
    this.transport = new FramedTransport(connection, {
      onFrame: (frame) => this.receive(frame),
      onProtocolError: (error) => this.refuseVersion(error),
      onClose: (error) => this.closed(error),
    }, owner.transportOptions);
    // A connection that never completes the handshake (a half header left open, a port scanner, a
    // peer without the key that stays connected) is dropped.
    this.handshakeTimer = setTimeout(() => {
      this.warn('no handshake', `[onelink] ${this.transport.remote} did not complete the handshake within ${options.connectTimeout} ms; closing it`);
      this.transport.destroy();
    }, options.connectTimeout);
    this.handshakeTimer.unref();
  }

  /** Refuses calls from now on, and resolves when no request of this follower is being served, or after timeoutMs. */
  drain(timeoutMs: number): Promise<void> {
    this.refusing = true;
    if (this.inflight === 0 || this.transport.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.drained = null;
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      this.drained = finish;
    });
  }

  /** Says goodbye (the follower then knows the loss is no fault), flushes and closes; a follower that does not close its side in time is cut off. */
  end(): void {
    this.transport.send(FrameKind.REQUEST, 0, 0, 0, GOODBYE, EMPTY);
    this.transport.end();
    setTimeout(() => this.transport.destroy(), 1000).unref();
  }

  /** Closes a connection still in its handshake, to make room for a newer one. */
  evict(): void {
    if (this.stage === 'served') throw new Error('an authenticated connection is never evicted');
    clearTimeout(this.handshakeTimer);
    this.transport.destroy();
  }

  get remote(): string {
    return this.transport.remote;
  }

  handover(name: string, state: unknown): void {
    if (!this.channels.has(name)) return;
    try {
      this.transport.send(FrameKind.REQUEST, 0, 0, 0, encodeConnection([Op.HANDOVER, name]), encodeValue(state));
    } catch (err) {
      this.logger.warn(`[onelink] state of "${name}" could not be encoded for the next leader:`, err);
    }
  }

  private receive(frame: Frame): void {
    if (this.stage !== 'served') {
      this.handshake(frame);
      return;
    }
    if (frame.kind !== FrameKind.REQUEST) return; // pongs are handled by the transport; nothing else is expected
    let message: unknown[];
    try {
      message = decodeConnection(frame.connection);
    } catch (err) {
      this.fail(frame.id, err);
      return;
    }
    try {
      this.dispatch(message, frame);
    } catch (err) {
      this.fail(frame.id, err);
    }
  }

  /** The follower's hello gets the leader's (with its proof); the follower's proof opens the connection. */
  private handshake(frame: Frame): void {
    try {
      if (this.stage === 'hello') {
        const { peer, reply } = this.auth.acceptHello(frame);
        this.role = peer.role;
        this.pid = peer.pid;
        this.transport.sendEncoded(reply);
        this.stage = 'proof';
        return;
      }
      this.auth.acceptAuth(frame);
    } catch (err) {
      this.warn('bad handshake', `[onelink] refused a connection from ${this.transport.remote}: ${(err as Error).message}`);
      this.transport.destroy();
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.stage = 'served';
    this.transport.authenticate();
    this.transport.startHeartbeat();
    this.owner.authenticated(this);
  }

  /** A process of an older onelink is told the version (its decoder reports the mismatch), not just cut off. */
  private refuseVersion(error: ProtocolError): void {
    if (this.stage !== 'hello' || !isVersionMismatch(error)) return;
    this.transport.sendEncoded(encodeVersionRefusal());
    this.transport.flush();
  }

  private dispatch(message: unknown[], frame: Frame): void {
    const op = message[0];
    if (op === Op.STATS) {
      this.transport.send(FrameKind.RESPONSE, 0, frame.id, 0, OK_RESPONSE, encodeValue(this.owner.status()));
      return;
    }
    if (this.role === 'observer') {
      this.fail(frame.id, new ObserverRefusedError(op));
      this.end();
      return;
    }
    if (op === Op.UNSUBSCRIBE) {
      this.unsubscribe(message[2] as number);
      return;
    }
    const name = message[1];
    if (typeof name !== 'string') throw new BadRequestError(`the channel name of operation ${op} is not a string`);
    if (op === Op.CLOSE) {
      this.close(name);
      return;
    }
    if (this.inflight >= this.limits.maxRequestsPerPeer) throw this.overLimit('maxRequestsPerPeer', 'requests being served');
    switch (op) {
      case Op.INVOKE:
      case Op.ONEWAY: {
        this.calls++;
        this.owner.counters.calls++;
        const host = this.opened(name);
        const method = message[2];
        if (typeof method !== 'string') throw new BadRequestError(`the method name of a call on "${name}" is not a string`);
        if (op === Op.INVOKE && !this.mayStart(frame, method)) return;
        const transcode = host.spec.options.transcode;
        const result = host.invoke(method, decodeArgs(frame, transcode));
        if (op === Op.INVOKE) this.reply(frame.id, result, transcode, method);
        else this.track(result).catch((err) => this.warn('oneway failed', `[onelink] oneway ${name}.${method} from ${this.transport.remote} failed:`, err));
        return;
      }
      case Op.OPEN:
        if (!this.mayStart(frame, 'open')) return;
        this.reply(frame.id, this.open(name, checkAgreement(message[2])), undefined);
        return;
      case Op.SUBSCRIBE:
        if (!this.mayStart(frame, 'subscribe')) return;
        this.subscribe(name, message[2], frame);
        return;
      case Op.PUBLISH: {
        if (!this.mayStart(frame, 'publish')) return;
        const host = this.opened(name);
        this.reply(frame.id, host.publish(decodePayload(frame, host.spec.options.transcode)), undefined);
        return;
      }
      default:
        throw new BadRequestError(`unknown operation ${String(op)}`);
    }
  }

  private subscribe(name: string, subId: unknown, frame: Frame): void {
    const host = this.opened(name);
    if (!Number.isSafeInteger(subId)) throw new BadRequestError(`the subscription id on "${name}" is not an integer`);
    const id = subId as number;
    const transcode = host.spec.options.transcode;
    const reg = decodePayload(frame, transcode);
    const key = keyOf(host, reg);
    // A reused id replaces the subscription it named: the old one is released, not leaked.
    if (this.subscriptions.has(id)) this.unsubscribe(id);
    else if (this.subscriptions.size >= this.limits.maxSubscriptionsPerPeer) throw this.overLimit('maxSubscriptionsPerPeer', 'subscriptions');
    const push = encodeConnection([Op.PUSH, name, id]);
    const subscriber: Subscriber = {
      deliver: (value, fanOut) => {
        const payload = encodeShared(value, transcode, fanOut);
        this.transport.send(FrameKind.REQUEST, payload.flags, 0, 0, push, payload.body);
      },
    };
    const subscribed = host.subscribe(key, reg, subscriber);
    const sub = { host, key, subscriber };
    this.subscriptions.set(id, sub);
    // Without its upstream subscription it holds nothing: it no longer counts against the bound.
    subscribed.catch(() => {
      if (this.subscriptions.get(id) === sub) this.subscriptions.delete(id);
    });
    this.reply(frame.id, subscribed, undefined);
  }

  private unsubscribe(subId: number): void {
    const sub = this.subscriptions.get(subId);
    if (!sub) return;
    this.subscriptions.delete(subId);
    sub.host.unsubscribe(sub.key, sub.subscriber);
  }

  /**
   * Whether a request may start now. A call whose caller already gave up (its deadline passed while
   * it waited in a socket buffer, or while this process was stopped) never starts; nor does any
   * request that arrives while the leader closes: it is refused, and the follower sends it to the
   * next leader (a subscription or publication made here would be made there again).
   */
  private mayStart(frame: Frame, method: string): boolean {
    if (this.refusing) {
      this.fail(frame.id, new LeaderClosingError(method));
      return false;
    }
    if (isPastDeadline(frame.timeout)) {
      this.fail(frame.id, new OnelinkError('ERR_ONELINK_RESPONSE_TIMEOUT', `"${method}" reached its caller's deadline before it started, and was not run`));
      return false;
    }
    return true;
  }

  private async open(name: string, agreement: ChannelAgreement): Promise<void> {
    if (this.pendingOpens >= this.limits.maxPendingOpensPerPeer) throw this.overLimit('maxPendingOpensPerPeer', 'OPENs waiting');
    if (!this.channels.has(name) && this.channels.size + this.pendingOpens >= this.limits.maxChannelsPerPeer) {
      throw this.overLimit('maxChannelsPerPeer', 'channels open or opening');
    }
    const opening = this.opening.get(name) ?? { pending: 0, closed: 0 };
    this.opening.set(name, opening);
    opening.pending++;
    this.pendingOpens++;
    let cancelled = false;
    let host: DataClientHost;
    try {
      host = await this.pool.open(name, this.gone.signal);
    } finally {
      this.pendingOpens--;
      // A CLOSE that arrived while OPENs of this name waited cancels one of them (closed <= pending).
      opening.pending--;
      if (opening.closed > 0) {
        opening.closed--;
        cancelled = true;
      }
      if (opening.pending === 0) this.opening.delete(name);
    }
    // The follower went away, or closed the channel, while its OPEN waited: nobody would release this reference later.
    if (this.transport.isClosed || cancelled) {
      this.pool.release(name);
      return;
    }
    const leaders = agreementOf(host.spec);
    const problem = disagreement(leaders, agreement);
    if (problem) {
      this.pool.release(name);
      throw new OptionsMismatchError(
        `client "${name}" differs from the one of the leader of ${this.pool.where} (pid ${process.pid}): ${problem}. ` +
          `Create it alike in every process; if another application holds ${this.pool.where}, give each application its own port or name`,
      );
    }
    if (this.channels.has(name)) this.pool.release(name);
    this.channels.set(name, host);
  }

  private opened(name: string): DataClientHost {
    const host = this.channels.get(name);
    if (!host) throw new BadRequestError(`channel "${name}" was not opened on this connection`);
    return host;
  }

  /** A CLOSE from the follower: of the open channel, or else of an OPEN still waiting. */
  private close(name: string): void {
    const opening = this.opening.get(name);
    if (!this.channels.has(name) && opening && opening.closed < opening.pending) opening.closed++;
    else this.release(name);
  }

  private release(name: string): void {
    const host = this.channels.get(name);
    if (!host) return;
    this.channels.delete(name);
    for (const [subId, sub] of this.subscriptions) {
      if (sub.host !== host) continue;
      this.subscriptions.delete(subId);
      host.unsubscribe(sub.key, sub.subscriber);
    }
    this.pool.release(name);
  }

  /** A request over one of the bounds: refused with a PeerLimitError, and one warning per peer and bound per interval. */
  private overLimit(limit: keyof PeerLimits, what: string): PeerLimitError {
    const max = this.limits[limit];
    const error = new PeerLimitError(limit, max, `follower ${this.transport.remote} has ${max} ${what} (${limit}); request refused`);
    this.warn(limit, `[onelink] ${error.message}`);
    return error;
  }

  private warn(reason: string, message: string, ...args: unknown[]): void {
    // Before the handshake a peer is a stranger: strangers share one budget of lines, whatever port they come from.
    this.owner.log.warn(this.stage === 'served' ? this.transport.remote : 'unauthenticated peers', reason, message, ...args);
  }

  /** Counts a oneway call being served, like a request. */
  private track(result: Promise<unknown>): Promise<unknown> {
    this.inflight++;
    return result.finally(() => this.settled());
  }

  private reply(id: number, result: Promise<unknown>, transcode: Transcode | undefined, method?: string): void {
    this.inflight++;
    result.then(
      (value) => {
        this.settled();
        if (this.transport.isClosed) return;
        if (!transcode) {
          this.transport.send(FrameKind.RESPONSE, 0, id, 0, OK_RESPONSE, EMPTY);
          return;
        }
        let payload;
        try {
          payload = encodePayloadToSend(value, transcode);
          // A result over the follower's frame limit would cost the whole connection: it gets the error instead.
          checkFrameSize(OK_RESPONSE, payload.body, this.owner.options.transport.maxFrameSize, `the result of "${method}"`);
        } catch (err) {
          this.fail(id, err);
          return;
        }
        this.transport.send(FrameKind.RESPONSE, payload.flags, id, 0, OK_RESPONSE, payload.body);
      },
      (err) => {
        this.settled();
        this.fail(id, err);
      },
    );
  }

  private settled(): void {
    if (--this.inflight === 0) this.drained?.();
  }

  /** An authenticated follower (not an observer, not a peer still in its handshake). */
  get isFollower(): boolean {
    return this.role === 'follower' && this.stage === 'served';
  }

  /** What the leader's stats say about this follower. */
  status(): FollowerStatus {
    const { bytesIn, bytesOut } = this.transport;
    return { pid: this.pid, connectedAt: this.connectedAt, inFlight: this.inflight, calls: this.calls, errors: this.errors, bytesIn, bytesOut, channels: [...this.channels.keys()] };
  }

  /** An error reply; for a frame that expects none (id 0), a log line. */
  private fail(id: number, err: unknown): void {
    this.errors++;
    this.owner.counters.countError(errorCode(err));
    if (id === 0) {
      this.warn('request failed', `[onelink] request from ${this.transport.remote} failed:`, err);
      return;
    }
    if (this.transport.isClosed) return;
    this.transport.send(FrameKind.RESPONSE, 0, id, 0, ERROR_RESPONSE, encodeValue(errorToWire(err)));
  }

  /** Releases at once everything this follower held: its channels, subscriptions and waiting OPENs. Never throws: it runs in a socket's 'close'. */
  private closed(error: Error | undefined): void {
    clearTimeout(this.handshakeTimer);
    if (error && this.isFollower) this.warn((error as { code?: string }).code ?? 'dropped', `[onelink] follower ${this.pid} (${this.transport.remote}) dropped: ${error.message}`);
    this.gone.abort();
    for (const name of [...this.channels.keys()]) {
      try {
        this.release(name);
      } catch (err) {
        this.logger.error(`[onelink] releasing channel "${name}" of ${this.transport.remote} failed:`, err);
      }
    }
    this.owner.forget(this);
  }
}

/** formatKey of a follower's reg: one that cannot be keyed (a BigInt, nesting too deep...) fails that request alone. */
function keyOf(host: DataClientHost, reg: unknown): string {
  let key: unknown;
  try {
    key = host.spec.options.formatKey(reg);
  } catch (err) {
    throw new BadRequestError(`the subscription of "${host.spec.options.name}" cannot be keyed: ${(err as Error)?.message}`, { cause: err });
  }
  if (typeof key !== 'string') throw new BadRequestError(`formatKey of "${host.spec.options.name}" returned a ${typeof key}, not a string`);
  return key;
}

function checkAgreement(value: unknown): ChannelAgreement {
  const agreement = value as ChannelAgreement | null;
  if (!agreement || typeof agreement !== 'object' || typeof agreement.isBroadcast !== 'boolean' || !agreement.delegates || typeof agreement.delegates !== 'object') {
    throw new BadRequestError('OPEN carries no channel agreement { delegates, isBroadcast }');
  }
  return agreement;
}

// A value fanned out to many followers is encoded once per fan-out run (not per follower); a
// later run encodes again, since the DataClient may have changed the same object in between.
let lastFanOut = -1;
let lastTranscode: Transcode | undefined = undefined;
let lastPayload: Payload | null = null;

function encodeShared(value: unknown, transcode: Transcode, fanOut: number): Payload {
  if (lastPayload && fanOut === lastFanOut && transcode === lastTranscode) return lastPayload;
  const payload = encodePayload(value, transcode);
  lastFanOut = fanOut;
  lastTranscode = transcode;
  lastPayload = payload;
  return payload;
}
