// Chooses a server for a request with the strategy configured for its type, and keeps the
// per-server statistics (in flight, latency, successes, failures) the strategies rely on.
import { NoCapacityError, NoServerError } from '../errors.js';
import type { ResolvedRegistryOptions } from '../options.js';
import { createStrategy } from './create-strategy.js';
import { ServerStats, type ServerMetrics } from './server-stats.js';
import type { BalancingStrategy, Candidate, StatsView } from './strategy.js';

export interface PickOptions {
  /** Routing key for sticky, crc32 and consistent-hash. */
  key?: string;
  /** Server ids not to choose (e.g. the one that just failed). */
  exclude?: string[];
}

export interface RequestReport {
  latencyMs: number;
  ok: boolean;
}

export class Balancer {
  private readonly strategies = new Map<string, BalancingStrategy>();
  private readonly stats = new Map<string, ServerStats>();
  private readonly slotWaiters = new Set<() => void>();
  private readonly view: StatsView = {
    latencyEwma: (id) => this.stats.get(id)?.ewma,
    inFlight: (id) => this.stats.get(id)?.inFlight ?? 0,
  };

  constructor(private readonly options: ResolvedRegistryOptions['balancer']) {}

  strategyFor(type: string): BalancingStrategy {
    let strategy = this.strategies.get(type);
    if (!strategy) {
      strategy = createStrategy(this.options.strategies[type] ?? this.options.strategy);
      this.strategies.set(type, strategy);
    }
    return strategy;
  }

  /**
   * Picks among `candidates` and counts one request in flight on the chosen server until
   * report(). Throws NoServerError when none is left, NoCapacityError when all are full
   * (after waiting up to maxWaitMs with whenFull 'wait'; `refresh` re-reads the candidates).
   */
  async pick(type: string, candidates: readonly Candidate[], options: PickOptions = {}, refresh?: () => Promise<readonly Candidate[]>): Promise<Candidate> {
    const deadline = Date.now() + this.options.maxWaitMs;
    let current = candidates;
    for (;;) {
      const chosen = this.choose(type, current, options);
      if (chosen) return chosen;
      const remaining = deadline - Date.now();
      if (this.options.whenFull !== 'wait' || remaining <= 0) {
        throw new NoCapacityError(type, this.options.maxConcurrent, this.options.whenFull === 'wait' ? this.options.maxWaitMs : 0);
      }
      await this.slotFreed(remaining);
      if (refresh) current = await refresh();
    }
  }

  /** One synchronous attempt: the chosen server, or undefined when every candidate is full. */
  choose(type: string, candidates: readonly Candidate[], options: PickOptions = {}): Candidate | undefined {
    const exclude = new Set(options.exclude ?? []);
    const strategy = this.strategyFor(type);
    const open = candidates
      .filter((c) => !exclude.has(c.id) && (strategy.eligible?.(c) ?? true))
      .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    if (open.length === 0) throw new NoServerError(type);
    const chosen = strategy.pick(open, { key: options.key, stats: this.view, maxConcurrent: this.options.maxConcurrent });
    if (chosen) this.statsOf(chosen.id).inFlight++;
    return chosen;
  }

  /** Ends one request on `serverId` (if one was in flight) and records its outcome. */
  report(serverId: string, report: RequestReport): void {
    const stats = this.statsOf(serverId);
    if (stats.inFlight > 0) stats.inFlight--;
    stats.record(report.latencyMs, report.ok);
    for (const wake of [...this.slotWaiters]) wake();
  }

  /** Gives back requests that will never be reported (their process died); records no outcome. */
  release(serverId: string, count: number): void {
    const stats = this.stats.get(serverId);
    if (stats) stats.inFlight = Math.max(0, stats.inFlight - count);
    for (const wake of [...this.slotWaiters]) wake();
  }

  metrics(serverId: string): ServerMetrics {
    return this.statsOf(serverId).snapshot();
  }

  allMetrics(): ServerMetrics[] {
    return [...this.stats.values()].map((s) => s.snapshot());
  }

  /** Drops the statistics of a server that left the registry. */
  forget(serverId: string): void {
    this.stats.delete(serverId);
  }

  private statsOf(id: string): ServerStats {
    let stats = this.stats.get(id);
    if (!stats) this.stats.set(id, (stats = new ServerStats(id, this.options.ewmaWeight)));
    return stats;
  }

  private slotFreed(withinMs: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => { clearTimeout(timer); this.slotWaiters.delete(done); resolve(); };
      const timer = setTimeout(done, withinMs);
      this.slotWaiters.add(done);
    });
  }
}
