// Runs every scenario for every implementation, interleaved (A B C, A B C, ...), each group of
// processes fresh on a fresh port, and returns the measurements of every repetition.
import net from 'node:net';
import { freePort } from '../test/support/servers.js';
import { monotonicNs } from './clock.js';
import { MiB, type BenchConfig, type ScenarioGroup } from './config.js';
import { loadImplementation, type ImplementationName, type Role } from './impl/implementation.js';
import { LatencyHistogram } from './latency-histogram.js';
import { payloadKey, sizeLabel } from './metrics.js';
import { WorkerHandle, type WorkerOptions } from './worker-handle.js';
import type {
  ConnectResult, FailoverReport, MemoryResult, PayloadResult, SentinelResult, SequentialResult, ThroughputResult, TickReport,
} from './worker-protocol.js';

export type Measurements = Record<string, number | null>;

export interface RepetitionResult {
  implementation: ImplementationName;
  repetition: number;
  metrics: Measurements;
  /** per-process details the table summarises (per follower failover times, RSS of every process) */
  details: Record<string, unknown>;
}

export interface SuiteOptions {
  config: BenchConfig;
  /** one line per scenario as it completes */
  progress?: (line: string) => void;
  cpuProfileDir?: string;
  /** profile only this implementation's workers */
  profileImplementation?: ImplementationName;
}

const round = (value: number, decimals = 1): string => value.toLocaleString('en-US', { maximumFractionDigits: decimals });

/** A leader and its followers for one implementation; always torn down by `stop()`. */
class Fleet {
  readonly followers: WorkerHandle[] = [];
  leader!: WorkerHandle;
  leaderPid = 0;
  readonly #all: WorkerHandle[] = [];

  constructor(
    readonly implementation: ImplementationName,
    private readonly workerOptions: WorkerOptions,
    /** live heap each process holds before it connects (see BenchConfig.applicationHeapMiB) */
    private readonly heapMiB: number,
  ) {}

  async start(followerCount: number): Promise<void> {
    const port = await freePort();
    // fork everything at once so that the processes boot in parallel; only connecting is ordered
    this.leader = this.#spawn(`${this.implementation} leader`);
    const followers = Array.from({ length: followerCount }, (_, i) => this.#spawn(`${this.implementation} follower ${i + 1}`));
    this.followers.push(...followers);
    const leader = await this.#connect(this.leader, port, 'leader');
    if (!leader.isLeader) throw new Error(`${this.implementation}: the first process on port ${port} did not become the leader`);
    this.leaderPid = leader.pid;
    const results = await Promise.all(followers.map((follower) => this.#connect(follower, port, 'follower')));
    if (results.some((result) => result.isLeader)) throw new Error(`${this.implementation}: a follower became leader while the leader was alive`);
  }

  #spawn(label: string): WorkerHandle {
    const worker = new WorkerHandle(label, this.workerOptions);
    this.#all.push(worker);
    return worker;
  }

  #connect(worker: WorkerHandle, port: number, role: Role): Promise<ConnectResult> {
    return worker.request<ConnectResult>({ type: 'connect', implementation: this.implementation, port, role, heapMiB: this.heapMiB });
  }

  async stop(): Promise<void> {
    // followers first, so that none of them is elected while the leader goes away
    await Promise.all(this.followers.map((worker) => worker.stop()));
    await Promise.all(this.#all.map((worker) => worker.stop()));
  }
}

async function withFleet<T>(
  implementation: ImplementationName, followers: number, workerOptions: WorkerOptions, heapMiB: number, body: (fleet: Fleet) => Promise<T>,
): Promise<T> {
  const fleet = new Fleet(implementation, workerOptions, heapMiB);
  try {
    await fleet.start(followers);
    return await body(fleet);
  } finally {
    await fleet.stop();
  }
}

/** 1 leader + 1 follower: sequential echo latency, then the payload echoes. */
async function pairScenarios(fleet: Fleet, config: BenchConfig, metrics: Measurements, say: (line: string) => void): Promise<void> {
  const [follower] = fleet.followers;
  const sequential = await follower.request<SequentialResult>({ type: 'sequential', ...config.sequential });
  const latency = LatencyHistogram.from(sequential.latency);
  metrics['sequential.p50Us'] = latency.percentile(0.5);
  metrics['sequential.p90Us'] = latency.percentile(0.9);
  metrics['sequential.p99Us'] = latency.percentile(0.99);
  metrics['sequential.maxUs'] = latency.maxUs;
  metrics['sequential.callsPerSec'] = latency.count / (sequential.elapsedMs / 1000);
  say(`sequential: p50 ${round(latency.percentile(0.5))} µs, p99 ${round(latency.percentile(0.99))} µs, ${round(metrics['sequential.callsPerSec'], 0)} calls/s`);

  // The same calls made in the leader process, where they cross no socket but are still copied.
  const local = await fleet.leader.request<SequentialResult>({ type: 'sequential', ...config.sequential });
  const localLatency = LatencyHistogram.from(local.latency);
  metrics['leaderLocal.p50Us'] = localLatency.percentile(0.5);
  metrics['leaderLocal.callsPerSec'] = localLatency.count / (local.elapsedMs / 1000);
  say(`in the leader: p50 ${round(localLatency.percentile(0.5))} µs, ${round(metrics['leaderLocal.callsPerSec'], 0)} calls/s`);

  const payloadLines: string[] = [];
  for (const kind of config.payload.kinds) {
    for (const bytes of config.payload.bytes) {
      const result = await follower.request<PayloadResult>({
        type: 'payload', kind, bytes, warmupMs: config.payload.warmupMs, durationMs: config.payload.durationMs, minCalls: config.payload.minCalls,
      });
      const mibPerSec = (result.calls * bytes) / MiB / (result.elapsedMs / 1000);
      metrics[payloadKey(kind, bytes)] = mibPerSec;
      payloadLines.push(`${sizeLabel(bytes)} ${kind} ${round(mibPerSec, 0)} MiB/s`);
    }
  }
  say(`payload: ${payloadLines.join(', ')}`);
}

/** 1 leader + N followers: throughput, RSS right after it, then subscribe fan-out. */
async function fleetScenarios(
  fleet: Fleet, config: BenchConfig, metrics: Measurements, details: Record<string, unknown>, say: (line: string) => void,
): Promise<void> {
  const throughputs = await Promise.all(fleet.followers.map((follower) => follower.request<ThroughputResult>({ type: 'throughput', ...config.throughput })));
  const latency = new LatencyHistogram();
  let callsPerSec = 0;
  for (const result of throughputs) {
    latency.merge(LatencyHistogram.from(result.latency));
    callsPerSec += result.calls / (result.elapsedMs / 1000);
  }
  metrics['throughput.callsPerSec'] = callsPerSec;
  metrics['throughput.p99Us'] = latency.percentile(0.99);

  const [leaderMemory, ...followerMemory] = await Promise.all([fleet.leader, ...fleet.followers].map((worker) => worker.request<MemoryResult>({ type: 'memory' })));
  metrics['memory.leaderRssMiB'] = leaderMemory.rssBytes / MiB;
  metrics['memory.followerRssMiB'] = Math.max(...followerMemory.map((memory) => memory.rssBytes)) / MiB;
  const inMiB = (memory: MemoryResult) => ({
    rss: memory.rssBytes / MiB, heapUsed: memory.heapUsedBytes / MiB, external: memory.externalBytes / MiB,
  });
  details.memoryMiB = { leader: inMiB(leaderMemory), followers: followerMemory.map(inMiB) };
  say(`throughput: ${round(callsPerSec, 0)} calls/s, p99 ${round(latency.percentile(0.99), 0)} µs; RSS leader ${round(metrics['memory.leaderRssMiB'])} MiB, followers ≤ ${round(metrics['memory.followerRssMiB'])} MiB`);

  const topic = 'ticks';
  await Promise.all(fleet.followers.map((follower) => follower.request({ type: 'subscribe-ticks', topic })));
  await fleet.leader.request({ type: 'emit-ticks', topic, events: config.fanout.events, intervalMs: config.fanout.intervalMs });
  const reports = await Promise.all(fleet.followers.map((follower) => follower.request<TickReport>({
    type: 'tick-report', events: config.fanout.events, settleMs: config.fanout.settleMs,
  })));
  const delay = new LatencyHistogram();
  for (const report of reports) delay.merge(LatencyHistogram.from(report.delay));
  const sum = (pick: (report: TickReport) => number): number => reports.reduce((total, report) => total + pick(report), 0);
  metrics['fanout.p50Us'] = delay.count > 0 ? delay.percentile(0.5) : null;
  metrics['fanout.p99Us'] = delay.count > 0 ? delay.percentile(0.99) : null;
  metrics['fanout.lost'] = sum((report) => report.lost);
  metrics['fanout.reordered'] = sum((report) => report.reordered);
  metrics['fanout.duplicated'] = sum((report) => report.duplicated);
  say(`fan-out: p50 ${round(delay.percentile(0.5), 0)} µs, p99 ${round(delay.percentile(0.99), 0)} µs, lost ${metrics['fanout.lost']}, reordered ${metrics['fanout.reordered']}, duplicated ${metrics['fanout.duplicated']}`);
}

/** 1 leader + N followers looping idempotent calls; the leader gets SIGKILL. */
async function failoverScenario(
  fleet: Fleet, config: BenchConfig, metrics: Measurements, details: Record<string, unknown>, say: (line: string) => void,
): Promise<void> {
  const { loopBeforeKillMs, recoveryCapMs, pauseAfterFailureMs } = config.failover;
  const recovered = new Set<WorkerHandle>();
  let allRecovered: () => void = () => {};
  const allRecoveredOrCap = new Promise<void>((resolve) => {
    allRecovered = resolve;
  });
  for (const follower of fleet.followers) {
    follower.onNewLeaderAnswered(() => {
      recovered.add(follower);
      if (recovered.size === fleet.followers.length) allRecovered();
    });
  }
  await Promise.all(fleet.followers.map((follower) => follower.request({ type: 'failover-loop', oldLeaderPid: fleet.leaderPid, pauseAfterFailureMs })));
  const sentinel = await connectSentinel(fleet.leader);
  await new Promise((resolve) => setTimeout(resolve, loopBeforeKillMs));

  const killedAtNs = monotonicNs();
  fleet.leader.kill('SIGKILL');
  const sentinelClosedNs = await Promise.race([sentinel.closed, new Promise<null>((resolve) => setTimeout(resolve, recoveryCapMs, null))]);
  metrics['failover.socketClosedMs'] = sentinelClosedNs === null ? null : (sentinelClosedNs - killedAtNs) / 1e6;
  const cap = setTimeout(allRecovered, recoveryCapMs);
  await allRecoveredOrCap;
  clearTimeout(cap);

  const reports = await Promise.all(fleet.followers.map((follower) => follower.request<FailoverReport>({ type: 'failover-report' })));
  const perFollower = reports.map((report) => ({
    servedAgainMs: report.firstAnswerFromNewLeaderNs === null ? null : (report.firstAnswerFromNewLeaderNs - killedAtNs) / 1e6,
    failedCalls: report.failedCalls,
    calls: report.calls,
    newLeaderPid: report.newLeaderPid,
    firstError: report.firstError,
  }));
  details.failover = perFollower;
  const times = perFollower.map((follower) => follower.servedAgainMs);
  // a follower that never got an answer within the cap makes the slowest time unknown (shown as n/a)
  const served = times.filter((time): time is number => time !== null);
  metrics['failover.slowestMs'] = served.length === times.length ? Math.max(...served) : null;
  metrics['failover.fastestMs'] = served.length > 0 ? Math.min(...served) : null;
  metrics['failover.failedCalls'] = reports.reduce((total, report) => total + report.failedCalls, 0);
  const describe = perFollower.map((follower) => `${follower.servedAgainMs === null ? `none within ${recoveryCapMs} ms` : `${round(follower.servedAgainMs)} ms`} (${follower.failedCalls} failed)`);
  const floor = metrics['failover.socketClosedMs'];
  say(`failover: served again after ${describe.join(', ')}; a plain socket saw the close after ${floor === null ? 'n/a' : `${round(floor)} ms`}`);
}

/** A plain connection to the leader process: when it closes, the kill has reached the peers. */
async function connectSentinel(leader: WorkerHandle): Promise<{ closed: Promise<number> }> {
  const { port } = await leader.request<SentinelResult>({ type: 'open-sentinel' });
  const socket = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.on('error', () => {});
  return { closed: new Promise((resolve) => socket.once('close', () => resolve(monotonicNs()))) };
}

export async function runSuite(options: SuiteOptions): Promise<RepetitionResult[]> {
  const { config } = options;
  const progress = options.progress ?? (() => {});
  const results: RepetitionResult[] = [];
  const implementations = await Promise.all(config.implementations.map((name) => loadImplementation(name)));
  const byRepetition = new Map<string, RepetitionResult>();
  const resultFor = (implementation: ImplementationName, repetition: number): RepetitionResult => {
    const key = `${implementation}#${repetition}`;
    let result = byRepetition.get(key);
    if (!result) {
      result = { implementation, repetition, metrics: {}, details: {} };
      byRepetition.set(key, result);
      results.push(result);
    }
    return result;
  };
  const workerOptions = (implementation: ImplementationName): WorkerOptions => ({
    deadlineMs: config.workerTimeoutMs,
    cpuProfileDir: options.cpuProfileDir && (!options.profileImplementation || options.profileImplementation === implementation)
      ? options.cpuProfileDir
      : undefined,
  });

  const startedAt = Date.now();
  for (let repetition = 1; repetition <= config.repetitions; repetition += 1) {
    const prefix = (name: string): string => {
      const elapsed = `${Math.round((Date.now() - startedAt) / 1000)}s`.padStart(4);
      return `[${repetition}/${config.repetitions} ${elapsed}] ${name.padEnd(14)} `;
    };
    const runs = (group: ScenarioGroup): boolean => config.scenarios.includes(group);
    for (const implementation of runs('pair') ? implementations : []) {
      const { metrics } = resultFor(implementation.name, repetition);
      await withFleet(implementation.name, 1, workerOptions(implementation.name), config.applicationHeapMiB, (fleet) => pairScenarios(fleet, config, metrics, (line) => progress(prefix(implementation.name) + line)));
    }
    for (const implementation of runs('fleet') ? implementations : []) {
      const { metrics, details } = resultFor(implementation.name, repetition);
      await withFleet(implementation.name, config.throughput.followers, workerOptions(implementation.name), 0, (fleet) => fleetScenarios(fleet, config, metrics, details, (line) => progress(prefix(implementation.name) + line)));
    }
    for (const implementation of runs('failover') ? implementations : []) {
      const { metrics } = resultFor(implementation.name, repetition);
      if (!implementation.hasFailover) {
        metrics['failover.slowestMs'] = null;
        metrics['failover.fastestMs'] = null;
        metrics['failover.failedCalls'] = null;
        metrics['failover.socketClosedMs'] = null;
        progress(`${prefix(implementation.name)}failover: n/a (no election)`);
        continue;
      }
      const { details } = resultFor(implementation.name, repetition);
      await withFleet(implementation.name, config.failover.followers, workerOptions(implementation.name), 0, (fleet) => failoverScenario(fleet, config, metrics, details, (line) => progress(prefix(implementation.name) + line)));
    }
  }
  return results;
}
