import { ProtocolError } from './errors.js';
import type { ProtocolErrorCode } from './errors.js';

/**
 * The peer spoke the handshake correctly but did not prove it holds the endpoint's key: another OS
 * user, another application on the same port, a port squatter, or a replayed or reflected proof.
 * Close the socket; tell the peer nothing.
 */
export class AuthError extends ProtocolError {
  constructor(message: string) {
    // ProtocolErrorCode does not list this code yet; the cast goes once it does.
    super('ERR_ONELINK_AUTH' as string as ProtocolErrorCode, message);
  }
}
