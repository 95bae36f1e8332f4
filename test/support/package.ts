// The package as users get it: dist/ built from this checkout, packed by `npm pack`, installed from the
// tarball into a directory of its own by npm.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../..', import.meta.url));
const builtEntry = join(root, 'dist', 'lib', 'index.js');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs a command, failing with its whole output (npm's errors are on stdout as often as on stderr). */
export function run(command: string, args: string[], cwd: string, timeoutMs = 120000, env: NodeJS.ProcessEnv = process.env): string {
  try {
    return execFileSync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'], env });
  } catch (err: any) {
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? ''}`, { cause: err });
  }
}

let tarball: string | undefined;

/** Builds dist/ if a source is newer, packs it once per test run, and returns the tarball's path. */
export function packedTarball(): string {
  if (tarball) return tarball;
  const stale = !existsSync(builtEntry) || statSync(builtEntry).mtimeMs < Math.max(newestSourceMs(join(root, 'lib')), newestSourceMs(join(root, 'protocol')));
  if (stale) run('npm', ['run', 'build'], root);
  const dir = mkdtempSync(join(tmpdir(), 'onelink-pack-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], root));
  tarball = join(dir, packed.filename);
  return tarball;
}

/** Whether npm's registry answers, so that a test needing packages it has not cached can say why it skips. */
export function registryReachable(cwd: string): boolean {
  try {
    execFileSync('npm', ['ping'], { cwd, stdio: 'ignore', timeout: 20000 });
    return true;
  } catch {
    return false;
  }
}
