// ioredis is an optional peer dependency: it is loaded only when the Redis backend starts,
// so that `onelink/registry` works with the memory backend without it.
import { loadPeer } from '../peer.js';

export type RedisConstructor = new (url: string, options?: Record<string, unknown>) => any;

export function loadIoredis(): RedisConstructor {
  const loaded = loadPeer<any>('ioredis', 'the Redis registry backend (backend: "redis")');
  return (loaded.Redis ?? loaded.default ?? loaded) as RedisConstructor;
}
