// Errors of the follower's link that users never see as such: the call policy (lib/call-policy.ts)
// and the election (lib/election.ts) decide what each one becomes.

/** The connection to the leader closed while a request was in flight. */
export class LinkLostError extends Error {
  readonly code = 'ERR_ONELINK_LINK_LOST';

  constructor(cause: Error | undefined) {
    super('connection to the leader was lost', { cause });
    this.name = 'LinkLostError';
  }
}

/**
 * Why connecting to whatever holds the endpoint gave no link:
 * - refused: nothing listens (any more);
 * - reset: the holder closed or reset the connection before its handshake, as a closing leader does;
 * - failed: another connection error;
 * - silent: it accepted the connection but did not answer the handshake within connectTimeout;
 * - foreign: it answered bytes that are not a onelink leader;
 * - version: it answered as a onelink leader of another protocol version (`peerVersion`);
 * - unauthenticated: it speaks onelink but did not prove it holds the endpoint key (another user's
 *   or application's process, a squatter).
 */
export type ConnectFailureReason = 'refused' | 'reset' | 'failed' | 'silent' | 'foreign' | 'version' | 'unauthenticated';

export class ConnectFailedError extends Error {
  readonly code = 'ERR_ONELINK_CONNECT_FAILED';
  /** For reason 'version': the protocol version the leader speaks. */
  readonly peerVersion: number | undefined;

  constructor(readonly reason: ConnectFailureReason, message: string, options?: { cause?: unknown; peerVersion?: number }) {
    super(message, options);
    this.name = 'ConnectFailedError';
    this.peerVersion = options?.peerVersion;
  }
}

/** The reason of a connection error, from its errno. */
export function reasonOf(error: NodeJS.ErrnoException): ConnectFailureReason {
  // ENOENT: no socket file at a Unix socket path, as good as a refusal.
  if (error.code === 'ECONNREFUSED' || error.code === 'ENOENT') return 'refused';
  if (error.code === 'ECONNRESET') return 'reset';
  return 'failed';
}
