import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/** Each candidate in turn, in id order; full servers are skipped. */
export class RoundRobinStrategy implements BalancingStrategy {
  readonly name = 'round-robin' as const;
  private next = 0;

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    for (let tried = 0; tried < candidates.length; tried++) {
      const candidate = candidates[(this.next + tried) % candidates.length];
      if (hasCapacity(candidate, request)) {
        this.next = (this.next + tried + 1) % candidates.length;
        return candidate;
      }
    }
    return undefined;
  }
}
