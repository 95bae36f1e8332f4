// The per-user directory holding endpoint keys and named sockets. Whoever can write it can replace
// a key or a socket, so it is checked on every use, not only when this process created it.
import { lstat, mkdir } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RuntimeDirError } from './errors.js';

export interface RuntimeDirEnvironment {
  env?: NodeJS.ProcessEnv;
  /** This process's uid; undefined where the platform has none (Windows): owner and mode are not checked. */
  uid?: number;
  tmpdir?: string;
}

function currentUid(): number | undefined {
  return process.getuid?.();
}

/**
 * Where this user's onelink files live: ONELINK_RUNTIME_DIR if set (tests, unusual setups), else
 * $XDG_RUNTIME_DIR/onelink (a per-user tmpfs on systemd machines), else <tmpdir>/onelink-<uid>.
 */
export function resolveRuntimeDir(environment: RuntimeDirEnvironment = {}): string {
  const env = environment.env ?? process.env;
  if (env.ONELINK_RUNTIME_DIR) return env.ONELINK_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'onelink');
  const uid = 'uid' in environment ? environment.uid : currentUid();
  return join(environment.tmpdir ?? tmpdir(), `onelink-${uid ?? userName()}`);
}

function userName(): string {
  return (process.env.USERNAME ?? process.env.USER ?? 'user').replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * Creates the directory (mode 0700) if it is missing, then checks it. Returns its path.
 * Throws RuntimeDirError saying what is wrong and what to do.
 */
export async function ensureRuntimeDir(dir = resolveRuntimeDir(), uid = currentUid()): Promise<string> {
  try {
    await mkdir(dir, { mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new RuntimeDirError(`cannot create the onelink runtime directory ${dir}: its parent does not exist; create it, or set ONELINK_RUNTIME_DIR to a directory of yours`, dir, { cause: error });
    }
    if (code !== 'EEXIST') {
      throw new RuntimeDirError(`cannot create the onelink runtime directory ${dir} (${code}); set ONELINK_RUNTIME_DIR to a directory of yours`, dir, { cause: error });
    }
  }
  let stats: Stats;
  try {
    stats = await lstat(dir);
  } catch (error) {
    throw new RuntimeDirError(`cannot inspect the onelink runtime directory ${dir} (${(error as NodeJS.ErrnoException).code})`, dir, { cause: error });
  }
  checkRuntimeDir(dir, stats, uid);
  return dir;
}

/** Throws RuntimeDirError unless stats (from lstat) are those of a real directory owned by uid and writable by it alone. */
export function checkRuntimeDir(dir: string, stats: Stats, uid = currentUid()): void {
  const remedy = `remove it (it may have been created by another user to intercept onelink), or set ONELINK_RUNTIME_DIR to a directory of yours`;
  if (stats.isSymbolicLink()) throw new RuntimeDirError(`the onelink runtime directory ${dir} is a symbolic link, not a directory: ${remedy}`, dir);
  if (!stats.isDirectory()) throw new RuntimeDirError(`the onelink runtime directory ${dir} is not a directory: ${remedy}`, dir);
  if (uid === undefined) return;
  if (stats.uid !== uid) throw new RuntimeDirError(`the onelink runtime directory ${dir} is owned by uid ${stats.uid}, not by this process's uid ${uid}: ${remedy}`, dir);
  if ((stats.mode & 0o022) !== 0) {
    throw new RuntimeDirError(`the onelink runtime directory ${dir} is writable by ${(stats.mode & 0o002) !== 0 ? 'every user' : 'its group'} (mode ${octal(stats.mode)}): run chmod 700 ${dir}`, dir);
  }
}

export function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}
