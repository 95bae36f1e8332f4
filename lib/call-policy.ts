// A call sent to the leader: how it is sent, how its response becomes its result, and what it does
// when its leader is lost. Every failover decision about a call in flight is here; how the next
// leader is found is lib/election.ts.
import { decodeValue, type Frame, type Transcode } from '../protocol/index.js';
import type { LocalChannel } from './channel.js';
import { LeaderLostError } from './errors.js';
import type { LeaderLink, PendingRequest } from './follower/link.js';
import { LinkLostError } from './follower/link-errors.js';
import { ERROR_RESPONSE, errorFromWire, Op } from './messages.js';
import { decodePayload, encodeArgsToSend } from './payload.js';

/** Where a call goes again after a failover: the same entry as the caller's, which routes it to the next leader. */
export interface CallRouter {
  invoke(channel: LocalChannel, method: string, args: unknown[], idempotent: boolean, oneway: boolean): Promise<unknown>;
}

const SENT: Promise<unknown> = Promise.resolve(undefined);

/** Sends a call on the link; the promise settles with its result, or as the failover policy decides. */
export function sendCall(router: CallRouter, channel: LocalChannel, link: LeaderLink, method: string, args: unknown[], idempotent: boolean, oneway: boolean): Promise<unknown> {
  // The connection object first: building it (once per method) encodes, which would overwrite
  // the arguments' bytes, encoded in place and valid only until they are sent.
  const connection = channel.connection(oneway ? Op.ONEWAY : Op.INVOKE, method);
  let payload;
  try {
    payload = encodeArgsToSend(args, channel.spec.options.transcode);
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
  const call = new RemoteCall(router, channel, method, args, idempotent);
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
    readonly method: string,
    private readonly args: unknown[],
    private readonly idempotent: boolean,
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
    try {
      this.resolve(resultOf(frame, spec.options.transcode));
      stats.settled(this.startedAt);
    } catch (err) {
      stats.failed(this.startedAt, err);
      this.reject(err);
    }
  }

  /**
   * The failover policy of a call in flight: a ResponseTimeoutError is the caller's; a lost leader
   * sends an idempotent call to the next one, and fails any other with LeaderLostError (it may
   * or may not have run).
   */
  onFailure(error: Error): void {
    const { stats } = this.channel;
    if (this.idempotent && error instanceof LinkLostError) {
      stats.abandoned(); // the attempt on the next leader counts it
      // From a microtask: the link reports its pending calls lost before the agent drops its route.
      queueMicrotask(() => this.resolve(this.router.invoke(this.channel, this.method, this.args, true, false)));
      return;
    }
    const failure = error instanceof LinkLostError ? new LeaderLostError(this.method, { cause: error.cause }) : error;
    stats.failed(this.startedAt, failure);
    this.reject(failure);
  }
}

/** A publication in flight when the leader was lost fails with LeaderLostError; it is replayed on the next leader anyway. */
export function publicationFailure(error: unknown): unknown {
  return error instanceof LinkLostError ? new LeaderLostError('publish', { cause: error.cause }) : error;
}

/** A subscription or channel open whose leader was lost is sent again by the next election: not an error to report. */
export function isLeaderLoss(error: unknown): boolean {
  return error instanceof LinkLostError || error instanceof LeaderLostError;
}

export function isErrorResponse(frame: Frame): boolean {
  return frame.connection.equals(ERROR_RESPONSE);
}

/** The result of a response frame; an error response is thrown as the error it carries. */
export function resultOf(frame: Frame, transcode: Transcode): unknown {
  if (isErrorResponse(frame)) throw errorFromWire(decodeValue(frame.application));
  return decodePayload(frame, transcode);
}
