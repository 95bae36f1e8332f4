// The leader's side of the endpoint: accepts followers' connections, and closes gracefully (answers
// what is in flight, hands each DataClient's state to the followers, then lets them elect the next leader).
import { PROTOCOL_VERSION } from '../../protocol/index.js';
import { LeaderCounters, type LeaderStatus } from '../observe/status.js';
import { RateLimitedLog } from '../rate-limited-log.js';
import type { Listener } from '../transport/connection.js';
import type { TransportOptions } from '../transport/framed.js';
import { FollowerConnection, type ConnectionOwner, type LeaderOptions } from './follower-connection.js';
import type { DataClientPool } from './pool.js';

export class LeaderServer implements ConnectionOwner {
  private readonly connections = new Set<FollowerConnection>();
  /**
   * The connections still in their handshake, oldest first. At maxConnections a newcomer takes the
   * place of the oldest of them: peers that connect and never prove the key cannot lock the
   * followers out until connectTimeout. An authenticated connection is never evicted.
   */
  private readonly handshaking = new Set<FollowerConnection>();
  private closing = false;
  readonly counters = new LeaderCounters();
  private readonly since = Date.now();
  readonly log: RateLimitedLog;
  readonly transportOptions: TransportOptions;

  constructor(private readonly listener: Listener, readonly pool: DataClientPool, readonly options: LeaderOptions) {
    const { limits } = options;
    this.log = new RateLimitedLog(options.logger, limits.peerLogInterval);
    // One budget of unfinished frames for all connections: many peers each holding a partial large frame cannot add up.
    this.transportOptions = { ...options.transport, maxQueuedBytes: limits.maxQueuedBytes, partialFrames: { used: 0, limit: limits.maxPartialFrameBytes } };
    listener.accept(
      (connection) => {
        if (this.closing) {
          connection.destroy();
          return;
        }
        if (this.connections.size >= limits.maxConnections && !this.evictOldestStranger(connection.remote)) {
          this.log.warn('connections', 'maxConnections', `[onelink] ${connection.remote} refused: ${this.connections.size} authenticated connections already (maxConnections ${limits.maxConnections})`);
          connection.destroy();
          return;
        }
        const follower = new FollowerConnection(this, connection);
        this.connections.add(follower);
        this.handshaking.add(follower);
      },
      (err) => options.logger.error('[onelink] leader server error:', err),
    );
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  /** Bytes of unfinished frames the connections hold together. */
  get partialFrameBytes(): number {
    return this.transportOptions.partialFrames!.used;
  }

  /** Connections that have not proved the key yet. */
  get handshakingCount(): number {
    return this.handshaking.size;
  }

  authenticated(connection: FollowerConnection): void {
    this.handshaking.delete(connection);
  }

  forget(connection: FollowerConnection): void {
    this.connections.delete(connection);
    this.handshaking.delete(connection);
  }

  /** Closes the oldest connection still in its handshake to make room for `newcomer`; false if every connection is authenticated. */
  private evictOldestStranger(newcomer: string): boolean {
    const oldest = this.handshaking.values().next().value;
    if (!oldest) return false;
    this.forget(oldest);
    const { maxConnections } = this.options.limits;
    this.log.warn(
      'unauthenticated peers',
      'evicted',
      `[onelink] ${oldest.remote} closed after ${Date.now() - oldest.connectedAt} ms without completing the handshake: ${maxConnections} connections open (maxConnections), room made for ${newcomer}`,
    );
    oldest.evict();
    return true;
  }

  status(): LeaderStatus {
    const now = Date.now();
    const { counters, options } = this;
    return {
      protocol: PROTOCOL_VERSION,
      leader: { pid: process.pid, since: this.since, uptimeMs: now - this.since, processUptimeMs: Math.round(process.uptime() * 1000), endpoint: options.endpoint, node: process.version },
      channels: this.pool.status(),
      followers: [...this.connections].filter((c) => c.isFollower).map((c) => c.status()),
      counters: { calls: counters.calls, callsPerSecond: counters.callsPerSecond(), errors: Object.fromEntries(counters.errors), ...options.failovers() },
    };
  }

  /**
   * Answers the calls in flight (for at most drainMs), hands each channel's exported state to every
   * follower, then closes: the followers elect the next leader.
   */
  async close(handover: Map<string, unknown>, drainMs: number): Promise<void> {
    this.closing = true;
    this.counters.stop();
    const closed = this.listener.close();
    const connections = [...this.connections];
    await Promise.all(connections.map((connection) => connection.drain(drainMs)));
    for (const connection of connections) {
      for (const [name, state] of handover) connection.handover(name, state);
      connection.end();
    }
    await closed;
  }
}
