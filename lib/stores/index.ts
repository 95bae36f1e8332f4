// onelink/stores: session stores that run as DataClients in the leader. ioredis and memjs are
// loaded only when a Redis or Memcached store is constructed.
export type { SessionCookieData, SessionData, SessionStore, SessionValue, StoreBackend } from './contract.js';
export {
  InvalidSessionIdError,
  InvalidSessionValueError,
  SessionDecodeError,
  StoreClosedError,
  StoreOptionsError,
  StoreUnavailableError,
  UnsupportedStoreOperationError,
} from './errors.js';
export { MissingPeerDependencyError } from '../errors.js';
export { MemcachedStore } from './memcached-store.js';
export { MemoryStore, type MemoryStoreState } from './memory-store.js';
export {
  STORE_DEFAULTS,
  type CommonStoreOptions,
  type CustomSerializer,
  type MemcachedStoreOptions,
  type MemoryStoreOptions,
  type RedisClusterConnectionOptions,
  type RedisConnectionOptions,
  type RedisStoreOptions,
  type SerializerOption,
  type TtlOption,
} from './options.js';
export { RedisStore } from './redis-store.js';
export { sessionTtlMs } from './ttl.js';
export { assertSessionId, toPlainSession } from './validate.js';
