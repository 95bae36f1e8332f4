import { OnelinkError } from '../lib/errors.js';

export type ProtocolErrorCode =
  | 'ERR_ONELINK_PROTOCOL_VERSION'
  | 'ERR_ONELINK_PROTOCOL_FRAME_KIND'
  | 'ERR_ONELINK_PROTOCOL_FLAGS'
  | 'ERR_ONELINK_PROTOCOL_ID'
  | 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE'
  | 'ERR_ONELINK_PROTOCOL_BODY'
  | 'ERR_ONELINK_PROTOCOL_HANDSHAKE';

/**
 * The bytes received do not follow the onelink wire format (or the handshake failed).
 * A stream that produced one is unusable: close the socket.
 */
export class ProtocolError extends OnelinkError {
  declare readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
