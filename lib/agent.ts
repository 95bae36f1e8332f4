// One per endpoint per process, and only orchestration: the clients of each channel name (join, leave),
// the role the election gave this process, routing each call to the local DataClient, to the
// leader's link or to the wait queue, and shutdown. What each step does lives in its own file
// (see ARCHITECTURE.md).
import { performance } from 'node:perf_hooks';
import { decodeValue, EMPTY, encodeConnection, Op, type Frame, type HandshakeIdentity } from '../protocol/index.js';
import { LocalChannel, type ChannelMember, type Route } from './channel.js';
import { errorOfResponse, isErrorResponse, isLeaderLoss, sendCall, type CallRouter } from './call-policy.js';
import { ClientClosedError, OptionsMismatchError } from './errors.js';
import { Election, type ElectionHandler } from './election.js';
import { linkOptionsOf, type LeaderLink, type LinkOptions } from './follower/link.js';
import type { DataClientHost } from './leader/host.js';
import { closeHost, DataClientPool, exportHandover } from './leader/pool.js';
import { LeaderServer } from './leader/server.js';
import { callLocal } from './local-calls.js';
import { errorCode, type CallStatsSnapshot } from './observe/call-stats.js';
import type { ResolvedOptions } from './options.js';
import { identityFor } from './security/identity.js';
import { resolveSocketPath } from './security/socket-path.js';
import { resolveRuntimeDir } from './security/runtime-dir.js';
import { agreementOf, argsDisagreement, disagreement, type ChannelSpec } from './spec.js';
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

/** Emitted as 'failover' by every client once this process serves again after losing its leader. */
export interface FailoverEvent {
  /** The lost leader's pid. */
  from: number;
  /** The new leader's pid (this process's, if it won). */
  to: number;
  /** From the loss to serving again (leading, or following the new leader). */
  ms: number;
}

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
  /** The leader lost last, while no new one serves yet. */
  private lost: { from: number; at: number } | null = null;
  private failovers = 0;
  private lastFailoverMs: number | null = null;
  private reconnects = 0;

  constructor(private readonly key: string, private readonly endpoint: Endpoint, private readonly options: ResolvedOptions, network: Network) {
    this.pool = new DataClientPool(this.channels, { maxWaitTime: options.maxWaitTime, logger: options.logger, where: describeEndpoint(endpoint) });
    this.subscriptions = new Subscriptions(options.logger);
    this.waitQueue = new WaitQueue(this.channels, { maxQueuedCalls: options.maxQueuedCalls, where: describeEndpoint(this.endpoint) });
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
      const otherArgs = argsDisagreement(existing, added, ['existing', 'new']);
      if (otherArgs) this.logger.info(`[onelink] a new client "${name}" has other ${otherArgs}: the existing DataClient serves it`);
    }
    channel.members.add(member);
    // A client created once the role is known hears it too, once its listeners are attached.
    if (this.state === 'leader' || (this.state === 'follower' && this.link)) {
      const [event, value] = this.roleEvent();
      setImmediate(() => {
        if (channel.members.has(member)) member.emit(event, value);
      });
    }
    return channel;
  }

  stats(channel: LocalChannel): ClientStats {
    return { role: this.state, ...channel.stats.snapshot(), reconnects: this.reconnects };
  }

  private roleEvent(): [string, unknown] {
    return this.state === 'leader' ? ['leader', { pid: process.pid }] : ['follower', { leader: this.link?.leaderPid ?? 0 }];
  }

  /** Tells every client of this process. */
  private emitToClients(event: string, value: unknown): void {
    for (const channel of this.channels.values()) {
      for (const member of channel.members) member.emit(event, value);
    }
  }

  /** A new role after an election: 'leader' or 'follower', preceded by 'failover' if a leader was lost. */
  private announce(leaderPid: number): void {
    const lost = this.lost;
    this.lost = null;
    if (lost) {
      const ms = Math.round((performance.now() - lost.at) * 1000) / 1000;
      this.failovers++;
      this.lastFailoverMs = ms;
      const event: FailoverEvent = { from: lost.from, to: leaderPid, ms };
      this.logger.info?.(`[onelink] failover on ${describeEndpoint(this.endpoint)}: leader ${lost.from} -> ${leaderPid} in ${ms} ms`);
      this.emitToClients('failover', event);
    }
    const [event, value] = this.roleEvent();
    this.emitToClients(event, value);
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
        this.startHost(channel);
        this.pool.channelJoined(channel.name);
        break;
      case 'follower':
        this.openRemote(channel, this.link!);
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
    if (route.kind === 'local') return this.invokeLocal(channel, route.host, method, args, oneway);
    return sendCall(this, channel, route.link, method, args, idempotent, oneway, resends);
  }

  /** A call to this process's own DataClient, counted in the client's stats and the leader's. */
  private invokeLocal(channel: LocalChannel, host: DataClientHost, method: string, args: unknown[], oneway: boolean): Promise<unknown> {
    const { stats } = channel;
    const startedAt = stats.started();
    const counters = this.leader?.counters;
    if (counters) counters.calls++;
    return callLocal(channel, host, method, args, oneway, this.logger).then(
      (value) => {
        stats.settled(startedAt);
        return value;
      },
      (err) => {
        stats.failed(startedAt, err);
        counters?.countError(errorCode(err));
        throw err;
      },
    );
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
    if (channel.route) return this.subscriptions.publish(channel, channel.route, reg);
    // No leader yet: the replay when the channel opens sends it (the latest of its key), so it
    // runs once on that leader; the caller only waits for the channel to open.
    return this.waitQueue.enqueue(channel, () => PUBLISHED);
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
    for (const channel of this.channels.values()) this.openRemote(channel, link);
  }

  won(server: Listener, identity: HandshakeIdentity): void {
    this.state = 'leader';
    const { transportOptions: transport, logger } = this;
    const endpoint = describeEndpoint(this.endpoint);
    const failovers = () => ({ failovers: this.failovers, lastFailoverMs: this.lastFailoverMs });
    this.leader = new LeaderServer(server, this.pool, { transport, connectTimeout: this.options.connectTimeout, identity, logger, endpoint, failovers, limits: this.options });
    this.logger.info?.(`[onelink] process ${process.pid} leads ${endpoint}`);
    for (const channel of this.channels.values()) this.startHost(channel);
    this.announce(process.pid);
  }

  following(link: LeaderLink): void {
    this.logger.debug?.(`[onelink] process ${process.pid} follows leader ${link.leaderPid} on ${describeEndpoint(this.endpoint)}`);
    this.state = 'follower';
    this.link = link;
    if (this.lost) this.reconnects++;
    // Channels created while the handshake was under way have not been opened on this link yet.
    for (const channel of this.channels.values()) {
      if (channel.openingOn !== link) this.openRemote(channel, link);
    }
    this.announce(link.leaderPid);
  }

  onLost(link: LeaderLink, error: Error | undefined): void {
    if (this.link !== link) return;
    this.link = null;
    for (const channel of this.channels.values()) channel.route = null;
    if (this.isClosed) return;
    this.lost = { from: link.leaderPid, at: performance.now() };
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

  private openRemote(channel: LocalChannel, link: LeaderLink): void {
    channel.openingOn = link;
    const request = encodeConnection([Op.OPEN, channel.name, agreementOf(channel.spec)]);
    const { maxWaitTime, responseTimeout } = channel.spec.options;
    link.request(request, 0, EMPTY, 'open', maxWaitTime + responseTimeout).then(
      (frame) => {
        // The answer may come before following() adopted the link: it is opened right behind the handshake.
        if (link.closed || this.channels.get(channel.name) !== channel) return;
        if (isErrorResponse(frame)) {
          channel.fail(errorOfResponse(frame), true);
          return;
        }
        this.pool.forgetHandover(channel.name);
        const route: Route = { kind: 'remote', link };
        this.subscriptions.replay(channel, route);
        this.logger.debug?.(`[onelink] channel "${channel.name}" open on leader ${link.leaderPid}`);
        channel.open(route);
      },
      (err) => {
        if (isLeaderLoss(err)) return; // the next election opens it again
        // No answer in time (the leader's DataClient is slow to start): the next use sends the OPEN again.
        channel.fail(err, true);
      },
    );
  }

  // ---- the DataClients this process holds as leader ---------------------------------------------

  private startHost(channel: LocalChannel): void {
    const host = this.pool.hostFor(channel);
    host.ready.then(
      () => {
        if (this.channels.get(channel.name) !== channel || !this.isLeader) return;
        const route: Route = { kind: 'local', host };
        this.subscriptions.replay(channel, route);
        channel.open(route);
      },
      (err) => {
        channel.fail(err, true);
        this.pool.dropFailed(host);
      },
    );
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
