// The frame limit, checked before a call is sent or answered: a frame over the peer's maxFrameSize
// would cost the whole connection, so the call fails with FrameTooLargeError instead.
import { FrameTooLargeError } from './errors.js';

/** Throws FrameTooLargeError when a frame of these bodies would exceed the limit. */
export function checkFrameSize(connection: Buffer, body: Buffer, maxFrameSize: number, what: string): void {
  const size = connection.length + body.length;
  if (size > maxFrameSize) throw new FrameTooLargeError(what, size, maxFrameSize);
}
