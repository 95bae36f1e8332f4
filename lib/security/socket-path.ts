// A Unix domain socket as the endpoint: where it lives, and how a process claims it when the
// previous holder died and left its socket file behind, without ever unlinking a live one.
import { constants } from 'node:fs';
import { link, lstat, open, rename, stat, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import type { Server } from 'node:net';
import { isAbsolute, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { SocketPathError } from './errors.js';

/** Longest socket path the kernel takes (sun_path minus its NUL): 107 bytes on Linux, 103 on the BSDs and macOS. */
export const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;

/** An absolute path is used as is; a bare name (no "/") becomes <runtimeDir>/<name>.sock. */
export function resolveSocketPath(path: string, runtimeDir: string): string {
  let resolved: string;
  if (isAbsolute(path)) resolved = path;
  else if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(path)) resolved = join(runtimeDir, `${path}.sock`);
  else {
    throw new SocketPathError(`socket path ${JSON.stringify(path)} is neither absolute nor a bare name of [A-Za-z0-9._-] (which would live in ${runtimeDir})`, path);
  }
  const bytes = Buffer.byteLength(resolved);
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new SocketPathError(`socket path ${resolved} is ${bytes} bytes, over the ${MAX_SOCKET_PATH_BYTES} the kernel accepts: choose a shorter one`, resolved);
  }
  return resolved;
}

/**
 * What is at a socket path: 'live' (a process accepts connections there, or is too busy to: its
 * backlog is full or it does not answer within timeoutMs), 'stale' (a socket file nobody listens
 * on: its holder died) or 'absent'. Throws SocketPathError if the path cannot be probed (a regular
 * file, no permission).
 */
export function probeSocket(path: string, timeoutMs = 1000): Promise<'live' | 'stale' | 'absent'> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const timer = setTimeout(() => settle('live'), timeoutMs);
    function settle(result: 'live' | 'stale' | 'absent' | SocketPathError): void {
      clearTimeout(timer);
      socket.destroy();
      if (result instanceof SocketPathError) reject(result);
      else resolve(result);
    }
    socket.once('connect', () => settle('live'));
    socket.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNREFUSED') settle('stale');
      else if (error.code === 'ENOENT') settle('absent');
      else if (error.code === 'EAGAIN') settle('live');
      else settle(new SocketPathError(`cannot probe socket path ${path} (${error.code}): ${error.message}`, path, { cause: error }));
    });
  });
}

export interface ClaimOptions {
  /** Bound on one probe of an existing socket (default 1000 ms). */
  probeTimeoutMs?: number;
  /** Bound on the whole claim, waits for another claimer's lock included (default 15000 ms). */
  timeoutMs?: number;
  /** A claim lock older than this was left by a claimer that died mid-claim, and is broken (default 10000 ms). */
  staleLockMs?: number;
}

/**
 * Makes server listen on path, or finds that a live process holds it. Resolves 'listening' or 'held'.
 *
 * listen() alone is atomic (it fails with EADDRINUSE while any file is at the path), so a free path
 * needs no lock. A stale socket must be unlinked first, and two processes that both find it stale
 * must not both unlink: the second would unlink the first one's fresh, live socket. So removing a
 * stale socket and listening happen under <path>.lock, created with O_EXCL, held for the few
 * milliseconds of re-probe + unlink + listen. A claimer that finds the lock taken waits, then starts
 * over (and usually finds the new holder live). A lock left by a claimer killed mid-claim is broken
 * once older than staleLockMs.
 *
 * Throws SocketPathError if the path holds something other than a socket (it is never deleted),
 * or if the claim does not settle within timeoutMs.
 */
export async function claimSocketPath(server: Server, path: string, options: ClaimOptions = {}): Promise<'listening' | 'held'> {
  const probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 15000;
  const staleLockMs = options.staleLockMs ?? 10000;
  const deadline = Date.now() + timeoutMs;
  const lockPath = `${path}.lock`;
  for (let attempt = 0; ; attempt++) {
    if (await listenOn(server, path)) return 'listening';
    const state = await probeExisting(path, probeTimeoutMs);
    if (state === 'live') return 'held';
    if (state === 'stale') {
      const lock = await takeLock(lockPath, staleLockMs);
      if (lock) {
        try {
          // Under the lock, nobody else unlinks or binds through this path: decide again, then act.
          const now = await probeExisting(path, probeTimeoutMs);
          if (now === 'live') return 'held';
          if (now === 'stale') await unlink(path).catch(ignoreMissing);
          if (await listenOn(server, path)) return 'listening';
        } finally {
          await lock.release();
        }
      }
    }
    if (Date.now() >= deadline) {
      throw new SocketPathError(`could not claim socket path ${path} within ${timeoutMs} ms: it stays stale while ${lockPath} is held by another process`, path);
    }
    await sleep(Math.min(10 * 2 ** Math.min(attempt, 5), 200));
  }
}

/** listen() on path: true once listening, false on EADDRINUSE (something is at the path); other errors throw. */
function listenOn(server: Server, path: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    function onError(error: NodeJS.ErrnoException): void {
      server.off('listening', onListening);
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(new SocketPathError(`cannot listen on socket path ${path} (${error.code}): ${error.message}`, path, { cause: error }));
    }
    function onListening(): void {
      server.off('error', onError);
      resolve(true);
    }
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(path);
  });
}

/** Probes what is at path, refusing (never deleting) anything but a socket. */
async function probeExisting(path: string, probeTimeoutMs: number): Promise<'live' | 'stale' | 'absent'> {
  try {
    const stats = await lstat(path);
    if (!stats.isSocket()) {
      throw new SocketPathError(`socket path ${path} is taken by a file that is not a socket: move it away or choose another path`, path);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw error;
  }
  return probeSocket(path, probeTimeoutMs);
}

function ignoreMissing(error: NodeJS.ErrnoException): void {
  if (error.code !== 'ENOENT') throw error;
}

/** Creates the claim lock; null if another claimer holds it. Breaks a lock older than staleLockMs. */
async function takeLock(lockPath: string, staleLockMs: number): Promise<{ release(): Promise<void> } | null> {
  try {
    const handle = await open(lockPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    await handle.writeFile(`${process.pid}\n`);
    await handle.close();
    return { release: () => unlink(lockPath).catch(ignoreMissing) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new SocketPathError(`cannot create the claim lock ${lockPath} (${(error as NodeJS.ErrnoException).code})`, lockPath, { cause: error });
    }
  }
  await breakStaleLock(lockPath, staleLockMs);
  return null;
}

/**
 * Removes the lock if it is older than staleLockMs. rename() takes it atomically, so of two
 * breakers only one gets the stale lock; one that took a fresh lock instead (created by a third
 * claimer in between) puts it back.
 */
async function breakStaleLock(lockPath: string, staleLockMs: number): Promise<void> {
  let judged;
  try {
    judged = await lstat(lockPath);
  } catch {
    return;
  }
  if (Date.now() - judged.mtimeMs < staleLockMs) return;
  const taken = `${lockPath}.${process.pid}.${randomBytes(6).toString('hex')}.broken`;
  try {
    await rename(lockPath, taken);
  } catch {
    return;
  }
  const got = await stat(taken);
  if (got.ino !== judged.ino || got.dev !== judged.dev) await link(taken, lockPath).catch(() => {});
  await unlink(taken).catch(() => {});
}
