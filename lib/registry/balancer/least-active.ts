import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/** The server with the fewest requests in flight; ties are taken in turn. */
export class LeastActiveStrategy implements BalancingStrategy {
  readonly name = 'least-active' as const;
  private turn = 0;

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    let best: Candidate[] = [];
    let fewest = Infinity;
    for (const candidate of candidates) {
      if (!hasCapacity(candidate, request)) continue;
      const inFlight = request.stats.inFlight(candidate.id);
      if (inFlight < fewest) { best = [candidate]; fewest = inFlight; } else if (inFlight === fewest) best.push(candidate);
    }
    if (best.length === 0) return undefined;
    return best[this.turn++ % best.length];
  }
}
