// One follower's connection on the leader's side: its handshake, then the operations it sends
// (open, invoke, subscribe, publish, close...) served by the DataClients of the pool.
// A follower's bad bytes close that follower's connection and nothing else; a peer that does not
// prove it holds the endpoint key gets nothing but the leader's hello.
import { encodeValue, encodeVersionRefusal, FrameKind, isVersionMismatch, LeaderHandshake, type ConnectingRole, type Frame, type HandshakeIdentity, type ProtocolError, type Transcode } from '../../protocol/index.js';
import { ObserverRefusedError, OptionsMismatchError } from '../errors.js';
import { decodeConnection, encodeConnection, EMPTY, ERROR_RESPONSE, errorToWire, OK_RESPONSE, Op, type ChannelAgreement } from '../messages.js';
import { errorCode } from '../observe/call-stats.js';
import type { FollowerStatus, LeaderCounters, LeaderStatus } from '../observe/status.js';
import type { Logger } from '../options.js';
import { decodeArgs, decodePayload, encodePayload, encodePayloadToSend, type Payload } from '../payload.js';
import { agreementOf, disagreement } from '../spec.js';
import type { Connection } from '../transport/connection.js';
import { FramedTransport, type TransportOptions } from '../transport/framed.js';
import type { DataClientHost, Subscriber } from './host.js';
import type { DataClientPool } from './pool.js';

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
}

/** What a follower's connection needs from the server that accepted it. */
export interface ConnectionOwner {
  readonly pool: DataClientPool;
  readonly options: LeaderOptions;
  readonly counters: LeaderCounters;
  /** The answer to a STATS request. */
  status(): LeaderStatus;
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
  private readonly subscriptions = new Map<number, { host: DataClientHost; reg: unknown; subscriber: Subscriber }>();
  /** Requests being served, so that a graceful close answers them first. */
  private inflight = 0;
  private drained: (() => void) | null = null;
  /** Who connected, as its hello says: a follower, or an observer that may only read stats. */
  role: ConnectingRole | null = null;
  private pid = 0;
  private readonly connectedAt = Date.now();
  private calls = 0;
  private errors = 0;

  private readonly pool: DataClientPool;
  private readonly logger: Logger;

  constructor(private readonly owner: ConnectionOwner, connection: Connection) {
    const { options } = owner;
    this.pool = owner.pool;
    this.logger = options.logger;
    this.auth = new LeaderHandshake(options.identity);
    this.transport = new FramedTransport(connection, {
      onFrame: (frame) => this.receive(frame),
      onProtocolError: (error) => this.refuseVersion(error),
      onClose: (error) => this.closed(error),
    }, options.transport);
    // A connection that never completes the handshake (a half header left open, a port scanner, a
    // peer without the key that stays connected) is dropped.
    this.handshakeTimer = setTimeout(() => {
      this.logger.warn(`[onelink] ${this.transport.remote} did not complete the handshake within ${options.connectTimeout} ms; closing it`);
      this.transport.destroy();
    }, options.connectTimeout);
    this.handshakeTimer.unref();
  }

  /** Resolves when no request of this follower is being served, or after timeoutMs. */
  drain(timeoutMs: number): Promise<void> {
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
      this.logger.warn(`[onelink] refused a connection from ${this.transport.remote}: ${(err as Error).message}`);
      this.transport.destroy();
      return;
    }
    clearTimeout(this.handshakeTimer);
    this.stage = 'served';
    this.transport.authenticate();
    this.transport.startHeartbeat();
  }

  /** A process of an older onelink is told the version (its decoder reports the mismatch), not just cut off. */
  private refuseVersion(error: ProtocolError): void {
    if (this.stage !== 'hello' || !isVersionMismatch(error)) return;
    this.transport.sendEncoded(encodeVersionRefusal());
    this.transport.flush();
  }

  private dispatch(message: unknown[], frame: Frame): void {
    const op = message[0];
    const name = message[1] as string;
    if (op === Op.STATS) {
      this.transport.send(FrameKind.RESPONSE, 0, frame.id, 0, OK_RESPONSE, encodeValue(this.owner.status()));
      return;
    }
    if (this.role === 'observer') {
      this.fail(frame.id, new ObserverRefusedError(op));
      this.end();
      return;
    }
    switch (op) {
      case Op.INVOKE:
      case Op.ONEWAY: {
        this.calls++;
        this.owner.counters.calls++;
        const host = this.opened(name);
        const transcode = host.spec.options.transcode;
        const result = host.invoke(message[2] as string, decodeArgs(frame, transcode));
        if (op === Op.INVOKE) this.reply(frame.id, result, transcode);
        else result.catch((err) => this.logger.warn(`[onelink] oneway ${name}.${String(message[2])} failed:`, err));
        return;
      }
      case Op.OPEN:
        this.reply(frame.id, this.open(name, message[2] as ChannelAgreement), undefined);
        return;
      case Op.SUBSCRIBE: {
        const host = this.opened(name);
        const transcode = host.spec.options.transcode;
        const subId = message[2] as number;
        const reg = decodePayload(frame, transcode);
        const push = encodeConnection([Op.PUSH, name, subId]);
        const subscriber: Subscriber = {
          deliver: (value, fanOut) => {
            const payload = encodeShared(value, transcode, fanOut);
            this.transport.send(FrameKind.REQUEST, payload.flags, 0, 0, push, payload.body);
          },
        };
        this.subscriptions.set(subId, { host, reg, subscriber });
        this.reply(frame.id, host.subscribe(reg, subscriber), undefined);
        return;
      }
      case Op.UNSUBSCRIBE: {
        const sub = this.subscriptions.get(message[2] as number);
        if (!sub) return;
        this.subscriptions.delete(message[2] as number);
        sub.host.unsubscribe(sub.reg, sub.subscriber);
        return;
      }
      case Op.PUBLISH: {
        const host = this.opened(name);
        this.reply(frame.id, host.publish(decodePayload(frame, host.spec.options.transcode)), undefined);
        return;
      }
      case Op.CLOSE:
        this.close(name);
        return;
      default:
        throw new TypeError(`unknown operation ${String(op)}`);
    }
  }

  private async open(name: string, agreement: ChannelAgreement): Promise<void> {
    const opening = this.opening.get(name) ?? { pending: 0, closed: 0 };
    this.opening.set(name, opening);
    opening.pending++;
    let cancelled = false;
    let host: DataClientHost;
    try {
      host = await this.pool.open(name);
    } finally {
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
    const problem = disagreement(agreementOf(host.spec), agreement);
    if (problem) {
      this.pool.release(name);
      throw new OptionsMismatchError(`client "${name}" was created with options that differ from the leader's: ${problem}`);
    }
    if (this.channels.has(name)) this.pool.release(name);
    this.channels.set(name, host);
  }

  private opened(name: string): DataClientHost {
    const host = this.channels.get(name);
    if (!host) throw new TypeError(`channel "${name}" was not opened on this connection`);
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
      host.unsubscribe(sub.reg, sub.subscriber);
    }
    this.pool.release(name);
  }

  private reply(id: number, result: Promise<unknown>, transcode: Transcode | undefined): void {
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
      this.logger.warn(`[onelink] request from ${this.transport.remote} failed:`, err);
      return;
    }
    if (this.transport.isClosed) return;
    this.transport.send(FrameKind.RESPONSE, 0, id, 0, ERROR_RESPONSE, encodeValue(errorToWire(err)));
  }

  private closed(error: Error | undefined): void {
    clearTimeout(this.handshakeTimer);
    if (error && this.isFollower) this.logger.warn(`[onelink] follower ${this.pid} (${this.transport.remote}) dropped: ${error.message}`);
    for (const name of [...this.channels.keys()]) this.release(name);
    this.owner.forget(this);
  }
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
