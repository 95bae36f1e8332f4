// ioredis is an optional peer dependency: it is loaded only when the Redis backend starts,
// so that `onelink/registry` works with the memory backend without it.
import { createRequire } from 'node:module';
import { MissingDependencyError } from './errors.js';

export type RedisConstructor = new (url: string, options?: Record<string, unknown>) => any;

let cached: RedisConstructor | undefined;

export function loadIoredis(): RedisConstructor {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  let loaded: any;
  try {
    loaded = require('ioredis');
  } catch (err) {
    throw new MissingDependencyError('ioredis', 'the Redis registry backend (backend: "redis")', { cause: err });
  }
  cached = (loaded.Redis ?? loaded.default ?? loaded) as RedisConstructor;
  return cached;
}
