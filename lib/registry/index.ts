// onelink/registry: a server registry and load balancer whose upstream (Redis connections,
// subscriptions, sweeps, health checks) exists once per machine, in the onelink leader.
export { createRegistry, Registry, type CreateRegistryOptions, type MessageListener, type RegisterInput, type WatchListener } from './registry.js';
export { RegistryClient, type RegistrySubscription } from './registry-client.js';
export { toServerRecord } from './registration.js';
export { hostAddress } from './host-address.js';
export * from './balancer/index.js';
export * from './errors.js';
export * from './options.js';
export type * from './types.js';
