// A call sent to the leader: how it is sent, how its response becomes its result, and what it does
// when its leader is lost. Every failover decision about a call in flight is here; how the next
// leader is found is lib/election.ts.
import { decodePayload, decodeValue, encodeArgsToSend, ERROR_RESPONSE, errorFromWire, Op, type Frame, type Transcode } from '../protocol/index.js';
import type { LocalChannel } from './channel.js';
import { ClientClosedError, LeaderClosingError, LeaderLostError } from './errors.js';
import type { LeaderLink, PendingRequest } from './follower/link.js';
import { LinkLostError } from './follower/link-errors.js';
import { checkFrameSize } from './frame-limit.js';
import './known-errors.js';

/** Where a call goes again after a failover: the same entry as the caller's, which routes it to the next leader. */
export interface CallRouter {
  invoke(channel: LocalChannel, method: string, args: unknown[], idempotent: boolean, oneway: boolean, resends?: number): Promise<unknown>;
}

/**
 * How often one call is sent again to a next leader (after leader losses, or refusals by a closing
 * leader) before it fails with LeaderLostError: a call that keeps losing its leader must settle.
 */
export const MAX_RESENDS = 3;

const LEADER_CLOSING_CODE = new LeaderClosingError('').code;

const SENT: Promise<unknown> = Promise.resolve(undefined);

/** Sends a call on the link; the promise settles with its result, or as the failover policy decides. */
export function sendCall(router: CallRouter, channel: LocalChannel, link: LeaderLink, method: string, args: unknown[], idempotent: boolean, oneway: boolean, resends = 0): Promise<unknown> {
  // The connection object first: building it (once per method) encodes, which would overwrite
  // the arguments' bytes, encoded in place and valid only until they are sent.
  const connection = channel.connection(oneway ? Op.ONEWAY : Op.INVOKE, method);
  let payload;
  try {
    payload = encodeArgsToSend(args, channel.spec.options.transcode);
    checkFrameSize(connection, payload.body, channel.spec.options.maxFrameSize, `the arguments of "${method}"`);
  } catch (err) {
    channel.stats.rejected(err);
    return Promise.reject(err);
  }
  if (oneway) {
    if (link.post(connection, payload.flags, payload.body)) {
      channel.stats.sent();
      return SENT;
    }
    // The link just closed, so the call was not sent: it waits for the next leader.
    return router.invoke(channel, method, args, idempotent, oneway);
  }
  const call = new RemoteCall(router, channel, link, method, args, idempotent, resends);
  link.start(connection, payload.flags, payload.body, call);
  return call.promise;
}

/** One remote call: it settles the caller's promise itself, without a promise chain per call. */
class RemoteCall implements PendingRequest {
  deadline = 0;
  readonly timeout: number;
  readonly promise: Promise<unknown>;
  private readonly startedAt: number;
  private resolve!: (value: unknown) => void;
  private reject!: (error: unknown) => void;

  constructor(
    private readonly router: CallRouter,
    private readonly channel: LocalChannel,
    private readonly link: LeaderLink,
    readonly method: string,
    private readonly args: unknown[],
    private readonly idempotent: boolean,
    private readonly resends: number,
  ) {
    this.timeout = channel.spec.options.responseTimeout;
    this.startedAt = channel.stats.started();
    // The executor captures only the call: a remote call allocates as little as it can.
    this.promise = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  onResponse(frame: Frame): void {
    const { stats, spec } = this.channel;
    let result;
    try {
      result = resultOf(frame, spec.options.transcode);
    } catch (err) {
      // A closing leader refused the call before starting it: any call, idempotent or not, goes to the next leader.
      if ((err as { code?: unknown }).code === LEADER_CLOSING_CODE) {
        this.refused(err);
      } else {
        stats.failed(this.startedAt, err);
        this.reject(err);
      }
      return;
    }
    stats.settled(this.startedAt);
    this.resolve(result);
  }

  /**
   * The failover policy of a call in flight: a ResponseTimeoutError is the caller's; a closed
   * client's call fails with ClientClosedError; a lost leader sends an idempotent call to the next
   * one, and fails any other with LeaderLostError (it may or may not have run).
   */
  onFailure(error: Error): void {
    const { stats } = this.channel;
    let failure: Error;
    if (this.channel.error instanceof ClientClosedError) failure = this.channel.error;
    else if (!(error instanceof LinkLostError)) failure = error;
    else if (this.idempotent) {
      this.resend(error.cause);
      return;
    } else failure = new LeaderLostError(this.method, { cause: error.cause });
    stats.failed(this.startedAt, failure);
    this.reject(failure);
  }

  /** A closing leader did not start the call: it waits for the next leader, not for this one again. */
  private refused(error: unknown): void {
    this.channel.leaderClosing(this.link);
    this.resend(error);
  }

  /** Sends the call to the next leader, at most MAX_RESENDS times. */
  private resend(cause: unknown): void {
    const { stats } = this.channel;
    if (this.resends >= MAX_RESENDS) {
      const failure = new LeaderLostError(this.method, { cause });
      stats.failed(this.startedAt, failure);
      this.reject(failure);
      return;
    }
    stats.abandoned(); // the attempt on the next leader counts it
    // From a microtask: the link reports its pending calls lost before the agent drops its route.
    queueMicrotask(() => this.resolve(this.router.invoke(this.channel, this.method, this.args, this.idempotent, false, this.resends + 1)));
  }
}

/** A publication in flight when the leader was lost fails with LeaderLostError; it is replayed on the next leader anyway. */
export function publicationFailure(error: unknown): unknown {
  return error instanceof LinkLostError ? new LeaderLostError('publish', { cause: error.cause }) : error;
}

/**
 * A subscription, publication or channel open whose leader was lost, or refused by a closing
 * leader, is sent again by the next election: not an error to report.
 */
export function isLeaderLoss(error: unknown): boolean {
  return error instanceof LinkLostError || error instanceof LeaderLostError || error instanceof LeaderClosingError;
}

export function isErrorResponse(frame: Frame): boolean {
  return frame.connection.equals(ERROR_RESPONSE);
}

/**
 * The error an error response carries, rebuilt as its registered class (every class of onelink is
 * registered through ./known-errors.js) or as a plain Error (a DataClient's own error).
 */
export function errorOfResponse(frame: Frame): Error {
  return errorFromWire(decodeValue(frame.application));
}

/** The result of a response frame; an error response is thrown as the error it carries. */
export function resultOf(frame: Frame, transcode: Transcode): unknown {
  if (isErrorResponse(frame)) throw errorOfResponse(frame);
  return decodePayload(frame, transcode);
}
