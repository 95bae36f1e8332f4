// Runs the onelink command (bin/onelink.mjs) as a user would, in its own process.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/onelink.mjs', import.meta.url));

export interface CommandRun {
  code: number;
  stdout: string;
  stderr: string;
}

export function onelink(...args: string[]): Promise<CommandRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { timeout: 20000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}
