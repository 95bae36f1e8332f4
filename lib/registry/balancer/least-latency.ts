import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/**
 * The server with the lowest latency EWMA. Servers without a report yet count as 0 ms so
 * that new servers get probed; ties go to the one with fewer requests in flight, then in turn.
 */
export class LeastLatencyStrategy implements BalancingStrategy {
  readonly name = 'least-latency' as const;
  private turn = 0;

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    const open = candidates.filter((c) => hasCapacity(c, request));
    if (open.length === 0) return undefined;
    let best: Candidate[] = [];
    let bestLatency = Infinity;
    let bestInFlight = Infinity;
    for (const candidate of open) {
      const latency = request.stats.latencyEwma(candidate.id) ?? 0;
      const inFlight = request.stats.inFlight(candidate.id);
      if (latency < bestLatency || (latency === bestLatency && inFlight < bestInFlight)) {
        best = [candidate]; bestLatency = latency; bestInFlight = inFlight;
      } else if (latency === bestLatency && inFlight === bestInFlight) {
        best.push(candidate);
      }
    }
    return best[this.turn++ % best.length];
  }
}
