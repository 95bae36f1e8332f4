import { ConsistentHashStrategy } from './consistent-hash.js';
import { Crc32Strategy } from './crc32.js';
import { LeastActiveStrategy } from './least-active.js';
import { LeastLatencyStrategy } from './least-latency.js';
import { PriorityStrategy } from './priority.js';
import { RoundRobinStrategy } from './round-robin.js';
import { StickyStrategy } from './sticky.js';
import type { BalancingStrategy, StrategyName } from './strategy.js';
import { WeightedRoundRobinStrategy } from './weighted-round-robin.js';

const FACTORIES: Record<StrategyName, () => BalancingStrategy> = {
  'round-robin': () => new RoundRobinStrategy(),
  'weighted-round-robin': () => new WeightedRoundRobinStrategy(),
  'least-latency': () => new LeastLatencyStrategy(),
  'least-active': () => new LeastActiveStrategy(),
  sticky: () => new StickyStrategy(),
  crc32: () => new Crc32Strategy(),
  'consistent-hash': () => new ConsistentHashStrategy(),
  priority: () => new PriorityStrategy(),
};

export const STRATEGY_NAMES = Object.keys(FACTORIES) as StrategyName[];

export function createStrategy(name: StrategyName): BalancingStrategy {
  const factory = FACTORIES[name];
  if (!factory) throw new TypeError(`unknown balancing strategy "${name}"; one of: ${STRATEGY_NAMES.join(', ')}`);
  return factory();
}
