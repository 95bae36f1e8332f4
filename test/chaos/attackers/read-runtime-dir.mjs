// A process of another user that knows where a victim's onelink runtime directory is, and tries to
// list it and read the endpoint key: the key would let it join the victim's endpoint.
import { readdirSync, readFileSync } from 'node:fs';
import { resolveRuntimeDir } from '../../../dist/lib/security/runtime-dir.js';
import { keyFilePath } from '../../../dist/lib/security/endpoint-key.js';

const { runtimeDir, endpointId } = JSON.parse(process.argv[2]);

function attempt(fn) {
  try {
    fn();
    return 'ok';
  } catch (error) {
    return error.code ?? String(error);
  }
}

console.log(JSON.stringify({
  uid: process.getuid(),
  gid: process.getgid(),
  ownRuntimeDir: resolveRuntimeDir({ env: {} }),
  list: attempt(() => readdirSync(runtimeDir)),
  readKey: attempt(() => readFileSync(keyFilePath(runtimeDir, endpointId))),
}));
