// What this process proves on an endpoint (protocol/auth.ts): the endpoint's key, read or created
// once per endpoint, and kept for the life of the process.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import type { HandshakeIdentity } from '../../protocol/auth.js';
import type { Endpoint } from '../transport/connection.js';
import { endpointKey, tcpEndpointId, unixEndpointId } from './endpoint-key.js';
import { ensureRuntimeDir, resolveRuntimeDir } from './runtime-dir.js';

const keys = new Map<string, Promise<Buffer>>();

export function endpointIdOf(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? unixEndpointId(endpoint.path) : tcpEndpointId('127.0.0.1', endpoint.port);
}

/**
 * The identity of this process on the endpoint. The key comes from `secret` if given (else env
 * ONELINK_SECRET), else from the key file in the runtime directory. Rejects with RuntimeDirError or
 * KeyFileError; a failed read is not kept, so the next election reads again.
 */
export function identityFor(endpoint: Endpoint, secret: string | undefined): Promise<HandshakeIdentity> {
  const endpointId = endpointIdOf(endpoint);
  const cacheKey = `${endpointId}:${secret === undefined ? 'file' : createHash('sha256').update(secret).digest('hex')}`;
  let key = keys.get(cacheKey);
  if (!key) {
    key = loadKey(endpoint, endpointId, secret);
    keys.set(cacheKey, key);
    key.catch(() => keys.delete(cacheKey));
  }
  return key.then((k) => ({ key: k, endpointId, pid: process.pid }));
}

async function loadKey(endpoint: Endpoint, endpointId: string, secret: string | undefined): Promise<Buffer> {
  // A socket named by a bare name lives in the runtime directory, which must exist before listen().
  const runtimeDir = resolveRuntimeDir();
  if (endpoint.kind === 'unix' && dirname(endpoint.path) === runtimeDir) await ensureRuntimeDir(runtimeDir);
  return endpointKey({ endpointId, secret });
}
