// Runs an attacker script as another OS user (uid/gid 65534). Attackers are plain ESM (.mjs) files
// in test/chaos/attackers that import the BUILT package (dist/), as a foreign process would: they
// get their input as JSON in argv[2] and print one JSON line as their result.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runAsOtherUser } from '../../support/other-user.js';

export { OTHER_UID, SKIP_REASON, canSwitchUser } from '../../support/other-user.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const ATTACKERS = fileURLToPath(new URL('../attackers/', import.meta.url));

/**
 * Builds dist/ if it is missing (`npm test` builds it first; a lone `npx mocha` run may not have).
 * A dist/ older than the sources is used as is: rebuild with `npm run build` after changing them.
 */
export async function ensureBuilt(): Promise<void> {
  if (existsSync(`${ROOT}dist/protocol/auth.js`) && existsSync(`${ROOT}dist/lib/security/endpoint-key.js`)) return;
  await promisify(execFile)('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT, timeout: 180000 });
}

/** Runs test/chaos/attackers/<name>.mjs as uid 65534 with input; resolves its JSON result. */
export async function runAttacker<T = Record<string, unknown>>(name: string, input: unknown, options: { timeoutMs?: number } = {}): Promise<T> {
  const result = await runAsOtherUser([`${ATTACKERS}${name}.mjs`, JSON.stringify(input)], options);
  if (result.code !== 0) throw new Error(`attacker ${name} exited with ${result.code}: ${result.stderr}`);
  const lines = result.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as T;
}
