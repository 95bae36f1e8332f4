// One per endpoint per process, and only orchestration: the clients of each channel name (join, leave),
// the role the election gave this process, routing each call to the local DataClient, to the
// leader's link or to the wait queue, and shutdown. What each step does lives in its own file
// (see ARCHITECTURE.md).
import { decodeValue, EMPTY, encodeConnection, Op, type Frame, type HandshakeIdentity } from '../protocol/index.js';
import { LocalChannel, type ChannelMember, type Route } from './channel.js';
import { openOnLeader, openOnLink, type ChannelOpening } from './channel-opening.js';
import { sendCall, type CallRouter } from './call-policy.js';
import { ClientClosedError, LeaderClosingError, OptionsMismatchError } from './errors.js';
import { Election, type ElectionHandler } from './election.js';
import { linkOptionsOf, type LeaderLink, type LinkOptions } from './follower/link.js';
import { closeHost, DataClientPool, exportHandover } from './leader/pool.js';
import { LeaderServer } from './leader/server.js';
import { callLocal } from './local-calls.js';
import type { CallStatsSnapshot } from './observe/call-stats.js';
import type { ResolvedOptions } from './options.js';
import { identityFor } from './security/identity.js';
import { resolveSocketPath } from './security/socket-path.js';
import { resolveRuntimeDir } from './security/runtime-dir.js';
import { RoleEvents, type Role } from './role-events.js';
import { agreementOf, disagreement, type ChannelSpec } from './spec.js';
import { Subscriptions } from './subscriptions.js';
import { describeEndpoint, type Endpoint, type Listener, type Network } from './transport/connection.js';
import { socketNetwork } from './transport/socket.js';
import { WaitQueue } from './wait-queue.js';

type State = 'electing' | 'leader' | 'follower' | 'failed' | 'closed';

/** What a client's stats() returns: its calls in this process, and this process's role on the endpoint. */
export interface ClientStats extends CallStatsSnapshot {
  role: State;
  /** Times this process found a leader again after losing one. */
  reconnects: number;
}

export type { FailoverEvent } from './role-events.js';

const agents = new Map<string, Agent>();

const PUBLISHED: Promise<void> = Promise.resolve();

/** A channel whose DataClient failed to start tries again on use, at most this often. */
const INIT_RETRY_MS = 1000;

/** The endpoint of these options: the Unix socket `path` if given, else the TCP port. Throws SocketPathError. */
export function endpointOf(options: ResolvedOptions): Endpoint {
  if (options.path === undefined) return { kind: 'tcp', port: options.port };
  return { kind: 'unix', path: resolveSocketPath(options.path, resolveRuntimeDir()) };
}

/** The agent of this spec's endpoint (or of single mode), created on first use. */
export function agentFor(options: ResolvedOptions, network: Network = socketNetwork): Agent {
  const endpoint = endpointOf(options);
  const key = options.singleMode ? 'single' : `endpoint:${describeEndpoint(endpoint)}`;
  let agent = agents.get(key);
  if (!agent) {
    agent = new Agent(key, endpoint, options, network);
    agents.set(key, agent);
  }
  return agent;
}

export class Agent implements ElectionHandler, CallRouter {
  private state: State = 'electing';
  private readonly channels = new Map<string, LocalChannel>();
  private readonly pool: DataClientPool;
  private leader: LeaderServer | null = null;
  private link: LeaderLink | null = null;
  private failure: Error | null = null;
  private readonly subscriptions: Subscriptions;
  private readonly waitQueue: WaitQueue;
  private closing: Promise<void> | null = null;
  readonly transportOptions: LinkOptions;
  private readonly election: Election;
  private readonly roles: RoleEvents;
  private readonly opening: ChannelOpening;

  constructor(private readonly key: string, private readonly endpoint: Endpoint, private readonly options: ResolvedOptions, network: Network) {
    const where = describeEndpoint(endpoint);
    this.pool = new DataClientPool(this.channels, { maxWaitTime: options.maxWaitTime, logger: options.logger, where });
    this.subscriptions = new Subscriptions(options.logger);
    this.waitQueue = new WaitQueue(this.channels, { maxQueuedCalls: options.maxQueuedCalls, where });
    this.roles = new RoleEvents(this.channels, options.logger, where);
    this.opening = { channels: this.channels, pool: this.pool, subscriptions: this.subscriptions, logger: options.logger };
    this.transportOptions = linkOptionsOf(options);
    this.election = new Election(network, {
      endpoint,
      isLeader: options.isLeader,
      maxWaitTime: options.maxWaitTime,
      identity: () => identityFor(endpoint, options.secret),
      link: this.transportOptions,
      logger: options.logger,
    }, this);
    if (options.singleMode) {
      this.state = 'leader';
    } else {
      this.election.start(false);
    }
  }

  get logger() {
    return this.options.logger;
  }

  /** A method, not a narrowed field read: the state changes across awaits. */
  private get isClosed(): boolean {
    return this.state === 'closed';
  }

  get isLeader(): boolean {
    return this.state === 'leader';
  }

  // ---- channels and their clients -------------------------------------------------------------

  join(member: ChannelMember, spec: ChannelSpec): LocalChannel {
    if (this.isClosed) throw new ClientClosedError(spec.options.name);
    const name = spec.options.name;
    // As in cluster-client, an isLeader: false client in the leading process is served by this
    // process's DataClient (egg-mock puts egg's agent and app in one process). A client that must
    // lead in a process that does not is refused: the port is held elsewhere, or will be.
    if (!this.options.singleMode && spec.options.isLeader === true && this.options.isLeader !== true && !this.isLeader) {
      throw new OptionsMismatchError(`client "${name}" asks isLeader true on port ${this.options.port}, where this process does not lead (its first client asked isLeader ${this.options.isLeader})`);
    }
    let channel = this.channels.get(name);
    if (!channel) {
      channel = new LocalChannel(spec);
      this.channels.set(name, channel);
      this.attach(channel);
    } else {
      const [existing, added] = [agreementOf(channel.spec), agreementOf(spec)];
      const problem = disagreement(existing, added, ['existing', 'new']);
      if (problem) throw new OptionsMismatchError(`client "${name}" already exists in this process with other options: ${problem}`);
    }
    channel.members.add(member);
    const role = this.role;
    if (role) this.roles.tell(channel, member, role);
    return channel;
  }

  stats(channel: LocalChannel): ClientStats {
    return { role: this.state, ...channel.stats.snapshot(), reconnects: this.roles.reconnects };
  }

  /** This process's role once the election gave one (a follower's once its link is adopted). */
  private get role(): Role | null {
    if (this.state === 'leader') return { leads: true };
    return this.state === 'follower' && this.link ? { leads: false, leaderPid: this.link.leaderPid } : null;
  }

  async leave(channel: LocalChannel, member: ChannelMember): Promise<void> {
    if (!channel.members.delete(member)) return;
    this.subscriptions.dropMember(channel, member);
    if (channel.members.size > 0) return;
    this.channels.delete(channel.name);
    channel.fail(new ClientClosedError(channel.name), true);
    if (this.link) this.link.post(encodeConnection([Op.CLOSE, channel.name]), 0, EMPTY);
    if (this.channels.size === 0) {
      await this.shutdown();
    } else {
      await this.pool.disposeIfUnused(channel.name);
    }
  }

  private attach(channel: LocalChannel): void {
    switch (this.state) {
      case 'leader':
        openOnLeader(this.opening, channel, () => this.isLeader);
        this.pool.channelJoined(channel.name);
        break;
      case 'follower':
        openOnLink(this.opening, channel, this.link!);
        break;
      case 'failed':
        this.election.start(true);
        break;
      default:
        break; // electing: the election's outcome opens every channel
    }
  }

  /**
   * A channel whose DataClient could not start (its upstream was down, say) tries again when it is
   * used, at most once per INIT_RETRY_MS: the call waits for that attempt instead of failing with
   * the old error, so a process started before its upstream recovers without a restart.
   */
  private retryStart(channel: LocalChannel): boolean {
    if (Date.now() - channel.failedAt < INIT_RETRY_MS || this.channels.get(channel.name) !== channel) return false;
    channel.error = null;
    this.attach(channel);
    return true;
  }

  // ---- calls ----------------------------------------------------------------------------------

  /** `resends`: how often this call was already sent again after a leader loss (see MAX_RESENDS). */
  invoke(channel: LocalChannel, method: string, args: unknown[], idempotent: boolean, oneway: boolean, resends = 0): Promise<unknown> {
    const refusal = channel.error && !this.retryStart(channel) ? channel.error : this.failure;
    if (refusal) {
      channel.stats.rejected(refusal);
      return Promise.reject(refusal);
    }
    const route = channel.route;
    if (route) return this.send(channel, route, method, args, idempotent, oneway, resends);
    return this.waitQueue.enqueue(channel, (r) => this.send(channel, r, method, args, idempotent, oneway, resends));
  }

  private send(channel: LocalChannel, route: Route, method: string, args: unknown[], idempotent: boolean, oneway: boolean, resends: number): Promise<unknown> {
    if (route.kind === 'local') return callLocal(channel, route.host, method, args, oneway, this.logger, this.leader?.counters);
    return sendCall(this, channel, route.link, method, args, idempotent, oneway, resends);
  }

  // ---- subscriptions and publications ---------------------------------------------------------

  subscribe(channel: LocalChannel, member: ChannelMember, reg: unknown, listener: (value: unknown) => void): void {
    this.subscriptions.subscribe(channel, member, reg, listener);
  }

  unsubscribe(channel: LocalChannel, member: ChannelMember, reg: unknown, listener?: (value: unknown) => void): void {
    this.subscriptions.unsubscribe(channel, member, reg, listener);
  }

  publish(channel: LocalChannel, reg: unknown): Promise<void> {
    this.subscriptions.remember(channel, reg);
    if (channel.error && !this.retryStart(channel)) return Promise.reject(channel.error);
    // No leader yet: the replay when the channel opens sends it (the latest of its key), so it
    // runs once on that leader; the caller only waits for the channel to open.
    const route = channel.route;
    if (!route) return this.waitQueue.enqueue(channel, () => PUBLISHED);
    return this.subscriptions.publish(channel, route, reg).catch((err) => {
      if (!(err instanceof LeaderClosingError)) throw err;
      // A closing leader did not run it: the next one does, in the replay; the caller waits for that.
      if (route.kind === 'remote') channel.leaderClosing(route.link);
      return this.waitQueue.enqueue(channel, () => PUBLISHED);
    });
  }

  // ---- election -------------------------------------------------------------------------------

  electing(): void {
    this.state = 'electing';
    this.failure = null;
  }

  failed(error: Error): void {
    this.state = 'failed';
    this.failure = error;
    for (const channel of this.channels.values()) channel.fail(error, false);
  }

  connecting(link: LeaderLink): void {
    for (const channel of this.channels.values()) openOnLink(this.opening, channel, link);
  }

  won(server: Listener, identity: HandshakeIdentity): void {
    this.state = 'leader';
    const { transportOptions: transport, logger } = this;
    const endpoint = describeEndpoint(this.endpoint);
    const failovers = () => ({ failovers: this.roles.failovers, lastFailoverMs: this.roles.lastFailoverMs });
    this.leader = new LeaderServer(server, this.pool, { transport, connectTimeout: this.options.connectTimeout, identity, logger, endpoint, failovers, limits: this.options });
    this.logger.info?.(`[onelink] process ${process.pid} leads ${endpoint}`);
    for (const channel of this.channels.values()) openOnLeader(this.opening, channel, () => this.isLeader);
    this.roles.announce({ leads: true });
  }

  following(link: LeaderLink): void {
    this.logger.debug?.(`[onelink] process ${process.pid} follows leader ${link.leaderPid} on ${describeEndpoint(this.endpoint)}`);
    this.state = 'follower';
    this.link = link;
    // Channels created while the handshake was under way have not been opened on this link yet.
    for (const channel of this.channels.values()) {
      if (channel.openingOn !== link) openOnLink(this.opening, channel, link);
    }
    this.roles.announce({ leads: false, leaderPid: link.leaderPid });
  }

  onLost(link: LeaderLink, error: Error | undefined): void {
    if (this.link !== link) return;
    this.link = null;
    for (const channel of this.channels.values()) channel.route = null;
    if (this.isClosed) return;
    this.roles.leaderLost(link.leaderPid);
    const where = describeEndpoint(this.endpoint);
    // A leader that said goodbye closed on purpose (a deploy, a reload): no fault to warn about.
    if (link.farewell) this.logger.info(`[onelink] leader ${link.leaderPid} of ${where} handed over; electing the next one`);
    else this.logger.warn(`[onelink] lost the leader ${link.leaderPid} of ${where}${error ? ` (${error.message})` : ''}; electing a new one`);
    this.election.start(true);
  }

  onPush(name: string, subId: number, frame: Frame): void {
    const channel = this.channels.get(name);
    if (channel) this.subscriptions.deliver(channel, subId, frame);
  }

  onHandover(name: string, frame: Frame): void {
    try {
      this.pool.rememberHandover(name, decodeValue(frame.application));
    } catch (err) {
      this.logger.warn(`[onelink] undecodable handover state for "${name}":`, err);
    }
  }

  // ---- closing --------------------------------------------------------------------------------

  /** The last client of this process closed: hand leadership over (or leave the leader) and release the port. */
  private shutdown(): Promise<void> {
    this.closing ??= (async () => {
      this.state = 'closed';
      agents.delete(this.key);
      this.waitQueue.stop();
      this.election.stop();
      this.link?.close();
      this.link = null;
      const hosts = this.pool.takeAll();
      if (this.leader) {
        await this.leader.close(exportHandover(hosts, this.logger), this.options.responseTimeout);
        this.leader = null;
      }
      await Promise.all(hosts.map((host) => closeHost(host, this.logger)));
    })();
    return this.closing;
  }
}
