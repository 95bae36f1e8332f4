// The 32-byte key each endpoint's processes prove they hold (protocol/auth.ts). By default a file in
// the per-user runtime directory, created once by whichever process comes first; with a `secret`
// (processes sharing a network namespace but not a file system), derived from it instead.
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { link, open, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { resolve } from 'node:path';
import { KEY_SIZE } from '../../protocol/auth.js';
import { KeyFileError } from './errors.js';
import { ensureRuntimeDir, octal, resolveRuntimeDir } from './runtime-dir.js';

/** The endpoint id of a TCP endpoint: names its key file, and is bound into every proof. */
export function tcpEndpointId(host: string, port: number): string {
  return `tcp-${host}-${port}`;
}

/** The endpoint id of a Unix socket: a hash of its absolute path (a path may be long or hold any character). */
export function unixEndpointId(path: string): string {
  return `unix-${createHash('sha256').update(resolve(path)).digest('hex').slice(0, 32)}`;
}

const ENDPOINT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function checkEndpointId(endpointId: string): void {
  if (!ENDPOINT_ID.test(endpointId)) throw new RangeError(`an endpoint id is 1 to 200 characters of [A-Za-z0-9._-], got ${JSON.stringify(endpointId)}`);
}

/** The key of an endpoint derived from a shared secret: HKDF-SHA256, the endpoint id as info. */
export function deriveEndpointKey(secret: string | Buffer, endpointId: string): Buffer {
  checkEndpointId(endpointId);
  if (secret.length === 0) throw new RangeError('a onelink secret must not be empty');
  return Buffer.from(hkdfSync('sha256', secret, 'onelink-endpoint-key', endpointId, KEY_SIZE));
}

export function keyFilePath(dir: string, endpointId: string): string {
  checkEndpointId(endpointId);
  return resolve(dir, `${endpointId}.key`);
}

/**
 * Reads the endpoint's key file in dir, creating it if it does not exist. Atomic: the key is written
 * to a private temporary file, then link()ed to its name, which fails if another process got there
 * first; the loser reads the winner's key. No process ever sees a partly written key.
 * Throws KeyFileError if the file is unsafe or corrupt.
 */
export async function readOrCreateKeyFile(dir: string, endpointId: string): Promise<Buffer> {
  const path = keyFilePath(dir, endpointId);
  const existing = await readKeyFile(path);
  if (existing) return existing;
  const temporary = `${path}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const handle = await open(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await handle.writeFile(randomBytes(KEY_SIZE));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  } finally {
    await unlink(temporary).catch(() => {});
  }
  const key = await readKeyFile(path);
  if (!key) throw new KeyFileError(`the onelink key file ${path} vanished right after it was created: is another process deleting files in ${dir}?`, path);
  return key;
}

/** The key in path, checked; null if there is no such file. */
export async function readKeyFile(path: string, uid = process.getuid?.()): Promise<Buffer | null> {
  let handle: FileHandle;
  try {
    // O_NONBLOCK: a FIFO put in place of the key must not hang the open.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new KeyFileError(`the onelink key file ${path} is a symbolic link: delete it`, path, { cause: error });
    throw new KeyFileError(`cannot open the onelink key file ${path} (${code})`, path, { cause: error });
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new KeyFileError(`the onelink key file ${path} is not a regular file: delete it`, path);
    if (uid !== undefined && stats.uid !== uid) {
      throw new KeyFileError(`the onelink key file ${path} is owned by uid ${stats.uid}, not by this process's uid ${uid}: delete it`, path);
    }
    if (uid !== undefined && (stats.mode & 0o077) !== 0) {
      throw new KeyFileError(`the onelink key file ${path} is accessible to other users (mode ${octal(stats.mode)}): delete it, a new key is created`, path);
    }
    if (stats.size !== KEY_SIZE) {
      throw new KeyFileError(`the onelink key file ${path} holds ${stats.size} bytes, not ${KEY_SIZE}: it is corrupt, delete it`, path);
    }
    const key = Buffer.alloc(KEY_SIZE);
    const { bytesRead } = await handle.read(key, 0, KEY_SIZE, 0);
    if (bytesRead !== KEY_SIZE) throw new KeyFileError(`the onelink key file ${path} shrank while being read`, path);
    return key;
  } finally {
    await handle.close();
  }
}

export interface EndpointKeyOptions {
  endpointId: string;
  /** A shared secret: the key is derived from it and no file is used. Default: env ONELINK_SECRET. */
  secret?: string | Buffer;
  /** Default: resolveRuntimeDir() (env ONELINK_RUNTIME_DIR, XDG_RUNTIME_DIR, or <tmpdir>/onelink-<uid>). */
  runtimeDir?: string;
  env?: NodeJS.ProcessEnv;
}

/** The endpoint's key: derived from the secret if there is one, else read from (or created in) the runtime directory. */
export async function endpointKey(options: EndpointKeyOptions): Promise<Buffer> {
  const env = options.env ?? process.env;
  // An empty ONELINK_SECRET counts as unset (the usual way to clear a variable); an empty option is a mistake.
  const secret = options.secret ?? (env.ONELINK_SECRET || undefined);
  if (secret !== undefined) return deriveEndpointKey(secret, options.endpointId);
  const dir = await ensureRuntimeDir(options.runtimeDir ?? resolveRuntimeDir({ env }));
  return readOrCreateKeyFile(dir, options.endpointId);
}
