// The package as users get it: dist/ built from this checkout, packed by `npm pack`, installed from the
// tarball into a directory of its own by npm.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

const execFileAsync = promisify(execFile);

/**
 * Runs a command without blocking the test process (npm install takes a while), failing with its whole
 * output (npm's errors are on stdout as often as on stderr).
 */
export async function run(command: string, args: string[], cwd: string, timeoutMs = 120000, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout;
  } catch (err) {
    // execFile's error carries the output the command printed before it failed.
    const { stdout, stderr } = Object(err) as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd}:\n${stdout ?? ''}${stderr ?? ''}`, { cause: err });
  }
}

let tarball: Promise<string> | undefined;

/** Builds dist/ if a source is newer, packs it once per test run, and resolves with the tarball's path. */
export function packedTarball(): Promise<string> {
  tarball ??= (async () => {
    const stale = !existsSync(builtEntry) || statSync(builtEntry).mtimeMs < Math.max(newestSourceMs(join(root, 'lib')), newestSourceMs(join(root, 'protocol')));
    if (stale) await run('npm', ['run', 'build'], root);
    const dir = mkdtempSync(join(tmpdir(), 'onelink-pack-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const [packed] = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', dir], root)) as Array<{ filename: string }>;
    return join(dir, packed.filename);
  })();
  return tarball;
}

/** Whether npm's registry answers, so that a test needing packages it has not cached can say why it skips. */
export async function registryReachable(cwd: string): Promise<boolean> {
  return run('npm', ['ping'], cwd, 20000).then(() => true, () => false);
}
