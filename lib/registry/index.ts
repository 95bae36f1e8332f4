// onelink/registry: a server registry and load balancer whose upstream (Redis connections,
// subscriptions, sweeps, health checks) exists once per machine, in the onelink leader.
// The public API only; the leader-side client, the balancer and its strategies stay internal.
export { createRegistry, Registry, type CreateRegistryOptions, type MessageListener, type RegisterInput, type WatchListener } from './registry.js';
export { REGISTRY_DEFAULTS, type BalancerOptions, type RedisBackendOptions, type RegistryOptions } from './options.js';
export type { RedisClusterConnectionOptions } from '../redis/connect.js';
export type { PickOptions, RequestReport } from './balancer/balancer.js';
export type { ServerMetrics } from './balancer/server-stats.js';
export type { StrategyName } from './balancer/strategy.js';
export { STRATEGY_NAMES } from './balancer/create-strategy.js';
export * from './errors.js';
export { MissingPeerDependencyError } from '../errors.js';
export type * from './types.js';
