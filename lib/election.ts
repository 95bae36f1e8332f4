// Who leads the endpoint: the listen/connect race, what holds the endpoint when this process cannot
// take it (a leader, a leader closing, a hung leader, a foreign program), and the slow retry after
// a failed election. Each outcome is reported to the agent.
import pRetry, { AbortError } from 'p-retry';
import { HandshakeError, NoLeaderError, NotLeaderError } from './errors.js';
import { LeaderLink, type LinkHandler, type LinkOptions } from './follower/link.js';
import { ConnectFailedError } from './follower/link-errors.js';
import type { Logger } from './options.js';
import { describeEndpoint, type Endpoint, type Listener, type Network } from './transport/connection.js';

/** Immediate listen-then-connect rounds per attempt when the endpoint refuses or resets (see run). */
export const RACE_ROUNDS = 3;

/** After a failed election, the next one starts after maxWaitTime, at most this long. */
const RETRY_AFTER_FAILURE_MS = 5000;

export interface ElectionOptions {
  endpoint: Endpoint;
  /** true: lead or fail; false: never lead; undefined: compete. */
  isLeader: boolean | undefined;
  /** How long one election may take before it fails with NoLeaderError. */
  maxWaitTime: number;
  link: LinkOptions;
  logger: Logger;
}

export interface ElectionHandler extends LinkHandler {
  /** An election starts: calls wait for its outcome. */
  electing(): void;
  /** A connection to the leader is up and its handshake sent: what is sent now travels right behind it. */
  connecting(link: LeaderLink): void;
  /** This process holds the endpoint: it leads. */
  won(listener: Listener): void;
  /** This process follows the leader behind `link`. */
  following(link: LeaderLink): void;
  /** No leader: calls fail with `error` until the next election. */
  failed(error: Error): void;
}

export class Election {
  private stopped = false;
  private retryTimer: NodeJS.Timeout | null = null;

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
    try {
      await pRetry(
        async () => {
          // A dying leader's listening socket can make listen() fail and then refuse or reset the
          // connection a moment later: a few immediate rounds cross that window without a backoff.
          for (let round = 1; ; round++) {
            try {
              await this.contend(afterLoss);
              return;
            } catch (err) {
              if (round >= RACE_ROUNDS || !isRefusal(err)) throw err;
            }
          }
        },
        // Right after a kill the dead leader's listening socket may outlive its connections for a few
        // ms: retry every ms or so at first, then back off gently (1 ms × 1.3ⁿ, at most 500 ms).
        { retries: Number.POSITIVE_INFINITY, factor: 1.3, minTimeout: 1, maxTimeout: 500, randomize: false, maxRetryTime: maxWaitTime },
      );
    } catch (err) {
      if (this.stopped) return;
      const error = err instanceof HandshakeError || err instanceof NotLeaderError
        ? err
        : new NoLeaderError(`no leader could be elected or reached on ${describeEndpoint(endpoint)} within maxWaitTime (${maxWaitTime} ms): ${(err as Error).message}`, { cause: err });
      this.fail(error);
    }
  }

  /** One round: take the endpoint, or connect to whatever holds it. */
  private async contend(afterLoss: boolean): Promise<void> {
    const { endpoint, isLeader } = this.options;
    if (this.stopped) throw new AbortError('election stopped');
    if (isLeader !== false) {
      const listener = await this.network.listen(endpoint).catch((err) => {
        throw new AbortError(err);
      });
      if (this.stopped) {
        void listener?.close();
        throw new AbortError('election stopped');
      }
      if (listener) {
        this.handler.won(listener);
        return;
      }
      if (isLeader === true) throw new AbortError(new NotLeaderError(endpoint.port));
    }
    let link: LeaderLink;
    try {
      link = await LeaderLink.connect(this.network, endpoint, this.options.link, this.handler, (early) => this.handler.connecting(early));
    } catch (err) {
      // Bytes that are not onelink, or silence on first contact: the endpoint belongs to another program.
      // After a loss, silence is a hung leader (it may recover): keep trying.
      if (err instanceof ConnectFailedError && (err.reason === 'foreign' || (err.reason === 'silent' && !afterLoss))) {
        throw new AbortError(new HandshakeError(err.message, endpoint.port, { cause: err.cause }));
      }
      throw err;
    }
    if (this.stopped) {
      link.destroy();
      throw new AbortError('election stopped');
    }
    this.handler.following(link);
  }

  private fail(error: Error): void {
    this.options.logger.error(`[onelink] ${error.message}`);
    this.handler.failed(error);
    if (!(error instanceof NoLeaderError)) return;
    // A leader may appear later (a hung one recovering, a process starting): keep looking, slowly.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.start(true);
    }, Math.min(this.options.maxWaitTime, RETRY_AFTER_FAILURE_MS));
    this.retryTimer.unref();
  }
}

/** Nothing listens on the endpoint any more, or what listened is closing: worth trying to take it at once. */
function isRefusal(err: unknown): boolean {
  return err instanceof ConnectFailedError && (err.reason === 'refused' || err.reason === 'reset');
}
