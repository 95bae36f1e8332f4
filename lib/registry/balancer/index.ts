export { Balancer, type PickOptions, type RequestReport } from './balancer.js';
export { CallerLedger } from './caller-ledger.js';
export { createStrategy, STRATEGY_NAMES } from './create-strategy.js';
export { crc32 } from './crc32-checksum.js';
export type { ServerMetrics } from './server-stats.js';
export type { BalancingStrategy, Candidate, PickRequest, StatsView, StrategyName } from './strategy.js';
