// ioredis is an optional peer dependency: it is loaded only when the Redis backend starts,
// so that `onelink/registry` works with the memory backend without it.
import { loadPeer } from '../peer.js';

export interface IoredisConstructors {
  Redis: new (url: string, options?: Record<string, unknown>) => any;
  Cluster: new (nodes: Array<{ host: string; port: number }>, options?: Record<string, unknown>) => any;
}

export function loadIoredis(): IoredisConstructors {
  const loaded = loadPeer<any>('ioredis', 'the Redis registry backend (backend: "redis")');
  return { Redis: loaded.Redis ?? loaded.default ?? loaded, Cluster: loaded.Cluster };
}
