// Runs code as another OS user (nobody, uid/gid 65534), to show what a hostile local process can
// and cannot do. Needs root to drop to that user; callers skip with a reason when not root.
import { spawn } from 'node:child_process';

export const OTHER_UID = 65534;

export function canSwitchUser(): boolean {
  return process.getuid?.() === 0;
}

export const SKIP_REASON = 'needs root to run a process as another OS user (uid 65534)';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node [args]` as uid/gid 65534 with no supplementary groups; settles when it exits, or fails after timeoutMs. */
export function runAsOtherUser(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      uid: OTHER_UID,
      gid: OTHER_UID,
      cwd: '/',
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process as uid ${OTHER_UID} did not exit within ${options.timeoutMs ?? 10000} ms; stderr: ${stderr}`));
    }, options.timeoutMs ?? 10000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** What a process of uid 65534 gets when it lists dir and reads file: 'ok' or the error code, per attempt. */
export async function probeAsOtherUser(dir: string, file: string): Promise<{ uid: number; list: string; read: string }> {
  const script = `
    const fs = require('node:fs');
    const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code; } };
    console.log(JSON.stringify({
      uid: process.getuid(),
      list: attempt(() => fs.readdirSync(process.argv[1])),
      read: attempt(() => fs.readFileSync(process.argv[2])),
    }));`;
  const result = await runAsOtherUser(['-e', script, dir, file]);
  if (result.code !== 0) throw new Error(`probe as uid ${OTHER_UID} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}
