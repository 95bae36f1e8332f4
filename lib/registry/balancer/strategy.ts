// The contract every balancing strategy implements. Strategies are pure: they see the
// candidates (already filtered to live, healthy, non-maintenance, non-excluded servers)
// and the per-server statistics, and keep only their own rotation state.

export interface Candidate {
  readonly id: string;
  readonly weight: number;
  readonly priority: number;
}

/** Per-server numbers a strategy may read; kept by the balancer from pick()/report(). */
export interface StatsView {
  /** Exponentially weighted moving average of reported latencies, undefined before the first report. */
  latencyEwma(id: string): number | undefined;
  inFlight(id: string): number;
}

export interface PickRequest {
  /** Routing key (user id, session id...) for key-based strategies. */
  readonly key?: string;
  readonly stats: StatsView;
  /** Per-server in-flight limit; 0 means unlimited. */
  readonly maxConcurrent: number;
}

export type StrategyName =
  | 'round-robin'
  | 'weighted-round-robin'
  | 'least-latency'
  | 'least-active'
  | 'sticky'
  | 'crc32'
  | 'consistent-hash'
  | 'priority';

export interface BalancingStrategy {
  readonly name: StrategyName;
  /** Servers this strategy never chooses (weight 0 for weighted round-robin); none left means no server, not no capacity. */
  eligible?(candidate: Candidate): boolean;
  /**
   * Chooses one of `candidates` (sorted by id, never empty), or returns undefined when
   * every candidate is at its concurrency limit.
   */
  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined;
}

/** True when the server may take one more request under `maxConcurrent`. */
export function hasCapacity(candidate: Candidate, request: PickRequest): boolean {
  return request.maxConcurrent <= 0 || request.stats.inFlight(candidate.id) < request.maxConcurrent;
}
