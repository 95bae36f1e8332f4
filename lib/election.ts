// Who leads the endpoint: the listen/connect race, what holds the endpoint when this process cannot
// take it (a leader, a leader closing, a hung leader, a foreign program), and the slow retry after
// a failed election. Each outcome is reported to the agent.
import pRetry, { AbortError } from 'p-retry';
import { AuthError, type HandshakeIdentity } from '../protocol/index.js';
import { describeHolder, holderOf } from './endpoint-holder.js';
import { EndpointBlockedError, HandshakeError, NoLeaderError, NotLeaderError } from './errors.js';
import { SocketPathError } from './security/errors.js';
import { LeaderLink, type LinkHandler, type LinkOptions } from './follower/link.js';
import { ConnectFailedError } from './follower/link-errors.js';
import type { Logger } from './options.js';
import { describeEndpoint, type Endpoint, type Listener, type Network } from './transport/connection.js';

/** Immediate listen-then-connect rounds per attempt when the endpoint refuses or resets (see run). */
export const RACE_ROUNDS = 3;

/** After a failed election, the next one starts after maxWaitTime, at most this long. */
const RETRY_AFTER_FAILURE_MS = 5000;
/** While a process that cannot authenticate, or a socket that does not listen, holds the endpoint, it is tried again this often: it may go away. */
const RETRY_AFTER_HELD_MS = 1000;
/**
 * listen() finding the port in use while connect() is refused is a dying leader for a few ms, or a
 * socket bound without listening for good (no OS interface names its holder): after this long it is the latter.
 */
const BLOCKED_AFTER_MS = 1000;

export interface ElectionOptions {
  endpoint: Endpoint;
  /** true: lead or fail; false: never lead; undefined: compete. */
  isLeader: boolean | undefined;
  /** How long one election may take before it fails with NoLeaderError. */
  maxWaitTime: number;
  /** This process's key for the endpoint, loaded before the first listen or connect. */
  identity(): Promise<HandshakeIdentity>;
  link: LinkOptions;
  logger: Logger;
}

export interface ElectionHandler extends LinkHandler {
  /** An election starts: calls wait for its outcome. */
  electing(): void;
  /** A connection to the leader is up and its handshake sent: what is sent now travels right behind it. */
  connecting(link: LeaderLink): void;
  /** This process holds the endpoint: it leads, proving `identity` to its followers. */
  won(listener: Listener, identity: HandshakeIdentity): void;
  /** This process follows the leader behind `link`. */
  following(link: LeaderLink): void;
  /** No leader: calls fail with `error` until the next election. */
  failed(error: Error): void;
}

export class Election {
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private lastFailure: string | null = null;
  /** Since when listen() has found the port in use and connect() been refused. */
  private refusedSince: number | null = null;
  /** The last contend() found the port in use: a refusal then means nothing listens on a bound port. */
  private portInUse = false;

  constructor(private readonly network: Network, private readonly options: ElectionOptions, private readonly handler: ElectionHandler) {}

  /** Starts an election; `afterLoss`: a leader was just lost, so silence on the endpoint is a hung leader. */
  start(afterLoss: boolean): void {
    if (this.stopped) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.handler.electing();
    void this.run(afterLoss);
  }

  /** No more elections; a server or link won after this is closed at once. */
  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
  }

  private async run(afterLoss: boolean): Promise<void> {
    const { endpoint, maxWaitTime } = this.options;
    let identity: HandshakeIdentity;
    try {
      identity = await this.options.identity();
    } catch (err) {
      // RuntimeDirError, KeyFileError: nothing can be proved, so neither lead nor follow.
      if (!this.stopped) this.fail(err as Error);
      return;
    }
    try {
      await pRetry(
        async () => {
          // A dying leader's listening socket can make listen() fail and then refuse or reset the
          // connection a moment later: a few immediate rounds cross that window without a backoff.
          for (let round = 1; ; round++) {
            try {
              await this.contend(afterLoss, identity);
              return;
            } catch (err) {
              // Only ECONNREFUSED: a holder that accepts and closes (a closing leader, one of another protocol) listens.
              if (err instanceof ConnectFailedError && err.reason === 'refused' && this.portInUse) this.refusedSince ??= Date.now();
              else this.refusedSince = null;
              if (round < RACE_ROUNDS && isRefusal(err)) continue;
              if (this.refusedSince !== null && Date.now() - this.refusedSince >= BLOCKED_AFTER_MS) throw new AbortError(this.blocked());
              throw err;
            }
          }
        },
        // Right after a kill the dead leader's listening socket may outlive its connections for a few
        // ms: retry every ms or so at first, then back off gently (1 ms × 1.3ⁿ, at most 500 ms).
        { retries: Number.POSITIVE_INFINITY, factor: 1.3, minTimeout: 1, maxTimeout: 500, randomize: false, maxRetryTime: maxWaitTime },
      );
    } catch (err) {
      if (this.stopped) return;
      const error = err instanceof HandshakeError || err instanceof NotLeaderError || err instanceof AuthError || err instanceof SocketPathError || err instanceof EndpointBlockedError
        ? err
        : new NoLeaderError(`no leader could be elected or reached on ${describeEndpoint(endpoint)} within maxWaitTime (${maxWaitTime} ms): ${(err as Error).message}`, { cause: err });
      this.fail(error);
    }
  }

  private blocked(): EndpointBlockedError {
    return new EndpointBlockedError(
      `${describeEndpoint(this.options.endpoint)} is bound by a socket that does not listen (listen: EADDRINUSE, connect: ECONNREFUSED for ` +
        `${Date.now() - this.refusedSince!} ms; no OS interface names the holder of such a socket): stop the program holding it, ` +
        'or give this application its own port (option port, or NODE_CLUSTER_CLIENT_PORT)',
    );
  }

  /** One round: take the endpoint, or connect to whatever holds it. */
  private async contend(afterLoss: boolean, identity: HandshakeIdentity): Promise<void> {
    const { endpoint, isLeader } = this.options;
    if (this.stopped) throw new AbortError('election stopped');
    this.portInUse = false;
    if (isLeader !== false) {
      const listener = await this.network.listen(endpoint).catch((err) => {
        throw new AbortError(err);
      });
      if (this.stopped) {
        void listener?.close();
        throw new AbortError('election stopped');
      }
      if (listener) {
        this.lastFailure = null;
        this.refusedSince = null;
        this.handler.won(listener, identity);
        return;
      }
      if (isLeader === true) throw new AbortError(new NotLeaderError(endpoint.kind === 'tcp' ? endpoint.port : endpoint.path));
      this.portInUse = endpoint.kind === 'tcp';
    }
    let link: LeaderLink;
    try {
      link = await LeaderLink.connect(this.network, endpoint, identity, this.options.link, this.handler, (early) => this.handler.connecting(early));
    } catch (err) {
      if (err instanceof ConnectFailedError && err.reason === 'unauthenticated') {
        const where = describeEndpoint(endpoint);
        throw new AbortError(new AuthError(
          `${where} is held by a process that cannot prove it holds this application's key (another user or application?)${await heldBy(endpoint)}: ` +
            'give this application its own port or path, or stop that process',
        ));
      }
      // Bytes that are not onelink, or silence on first contact: the endpoint belongs to another program.
      // After a loss, silence is a hung leader (it may recover): keep trying.
      if (err instanceof ConnectFailedError && (err.reason === 'foreign' || (err.reason === 'silent' && !afterLoss))) {
        throw new AbortError(new HandshakeError(`${err.message}${await heldBy(endpoint)}`, portOf(endpoint), { cause: err.cause }));
      }
      // A onelink leader of another protocol version: nothing to gain from retrying at once.
      if (err instanceof ConnectFailedError && err.reason === 'version') {
        throw new AbortError(new HandshakeError(err.message, portOf(endpoint), { cause: err.cause, peerVersion: err.peerVersion }));
      }
      throw err;
    }
    if (this.stopped) {
      link.destroy();
      throw new AbortError('election stopped');
    }
    this.lastFailure = null;
    this.refusedSince = null;
    this.handler.following(link);
  }

  private fail(error: Error): void {
    // The same failure again and again (a squatter holding on) is logged once.
    if (error.message !== this.lastFailure) this.options.logger.error(`[onelink] ${error.message}`);
    this.lastFailure = error.message;
    this.handler.failed(error);
    // A program that is not onelink, or a leader asked for and taken: retrying would not help.
    if ((error instanceof HandshakeError && error.peerVersion === undefined) || error instanceof NotLeaderError) return;
    // A leader may appear later (a hung one recovering, a process starting, a squatter leaving, a
    // key file repaired, the processes of an older onelink replaced): keep looking, slowly.
    const retryMs = error instanceof AuthError || error instanceof EndpointBlockedError ? RETRY_AFTER_HELD_MS : RETRY_AFTER_FAILURE_MS;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start(true);
    }, Math.min(this.options.maxWaitTime, retryMs));
    this.retryTimer.unref();
  }
}

/** Nothing listens on the endpoint any more, or what listened is closing: worth trying to take it at once. */
function isRefusal(err: unknown): boolean {
  return err instanceof ConnectFailedError && (err.reason === 'refused' || err.reason === 'reset');
}

/** "; held by pid 123 (python3), uid 0 (this user)" where /proc tells, else nothing. */
async function heldBy(endpoint: Endpoint): Promise<string> {
  const holder = describeHolder(await holderOf(endpoint).catch(() => null));
  return holder ? `; held by ${holder}` : '';
}

/** The port errors report; 0 for a Unix socket (its path is in the message). */
function portOf(endpoint: Endpoint): number {
  return endpoint.kind === 'tcp' ? endpoint.port : 0;
}
