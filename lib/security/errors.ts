import { registerErrorClass } from '../../protocol/errors.js';
import { OnelinkError } from '../errors.js';

/** The per-user runtime directory is missing, unsafe (another owner, a symlink, group/world writable) or unusable. */
export class RuntimeDirError extends OnelinkError {
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_RUNTIME_DIR', message, options);
  }
}

/** An endpoint key file is unsafe (another owner, readable by others, not a regular file) or corrupt (wrong size). */
export class KeyFileError extends OnelinkError {
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_KEY_FILE', message, options);
  }
}

/** A Unix socket path cannot be used: too long, not a socket, not reachable, or not claimable in time. */
export class SocketPathError extends OnelinkError {
  constructor(message: string, readonly path: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_SOCKET_PATH', message, options);
  }
}

for (const [code, Class] of [
  ['ERR_ONELINK_RUNTIME_DIR', RuntimeDirError],
  ['ERR_ONELINK_KEY_FILE', KeyFileError],
  ['ERR_ONELINK_SOCKET_PATH', SocketPathError],
] as const) {
  registerErrorClass(code, Class);
}
