import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/**
 * Smooth weighted round-robin: every pick adds each server's weight to its running score,
 * takes the highest score and subtracts the total. Shares match the weights exactly over a
 * cycle and heavy servers are interleaved with light ones instead of picked in bursts.
 */
export class WeightedRoundRobinStrategy implements BalancingStrategy {
  readonly name = 'weighted-round-robin' as const;
  private readonly scores = new Map<string, number>();

  /** Weight 0 takes no traffic (a server being drained). */
  eligible(candidate: Candidate): boolean {
    return candidate.weight > 0;
  }

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    const open = candidates.filter((c) => hasCapacity(c, request));
    if (open.length === 0) return undefined;
    const present = new Set(open.map((c) => c.id));
    for (const id of this.scores.keys()) if (!present.has(id)) this.scores.delete(id);

    let total = 0;
    let best: Candidate | undefined;
    let bestScore = -Infinity;
    for (const candidate of open) {
      const score = (this.scores.get(candidate.id) ?? 0) + candidate.weight;
      this.scores.set(candidate.id, score);
      total += candidate.weight;
      if (score > bestScore) { best = candidate; bestScore = score; }
    }
    this.scores.set(best!.id, bestScore - total);
    return best;
  }
}
