import { RoundRobinStrategy } from './round-robin.js';
import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/**
 * The group with the highest `priority` value takes every request, in turn; a lower group
 * is used only when every server above it is gone, in maintenance, unhealthy or full.
 */
export class PriorityStrategy implements BalancingStrategy {
  readonly name = 'priority' as const;
  private readonly rotations = new Map<number, RoundRobinStrategy>();

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    const levels = [...new Set(candidates.map((c) => c.priority))].sort((a, b) => b - a);
    for (const level of levels) {
      const group = candidates.filter((c) => c.priority === level && hasCapacity(c, request));
      if (group.length === 0) continue;
      let rotation = this.rotations.get(level);
      if (!rotation) this.rotations.set(level, (rotation = new RoundRobinStrategy()));
      return rotation.pick(group, request);
    }
    return undefined;
  }
}
