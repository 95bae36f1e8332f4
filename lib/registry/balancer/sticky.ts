import { LeastActiveStrategy } from './least-active.js';
import { REGISTRY_DEFAULTS } from '../options.js';
import { RoundRobinStrategy } from './round-robin.js';
import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

const MAX_KEYS = REGISTRY_DEFAULTS.balancer.stickyMaxKeys;

/**
 * A key stays on the server it was first given while that server is a candidate; when it
 * leaves (dies, maintenance, failing health check) the key moves to the least busy server
 * and stays there. Requests without a key are spread round-robin.
 */
export class StickyStrategy implements BalancingStrategy {
  readonly name = 'sticky' as const;
  private readonly assigned = new Map<string, string>();
  private readonly placement = new LeastActiveStrategy();
  private readonly fallback = new RoundRobinStrategy();

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    const { key } = request;
    if (key === undefined) return this.fallback.pick(candidates, request);
    const current = this.assigned.get(key);
    if (current !== undefined) {
      const candidate = candidates.find((c) => c.id === current);
      if (candidate && hasCapacity(candidate, request)) return candidate;
      if (candidate) return undefined; // its server is alive but full: keep the key where it is
    }
    const chosen = this.placement.pick(candidates, request);
    if (!chosen) return undefined;
    this.assigned.delete(key);
    this.assigned.set(key, chosen.id);
    if (this.assigned.size > MAX_KEYS) this.assigned.delete(this.assigned.keys().next().value!);
    return chosen;
  }
}
