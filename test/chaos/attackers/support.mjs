// What attackers share: recording every byte and frame a onelink process sends them, in a form a
// test can check (binary values as their length, never their bytes).
import { FrameDecoder, decodeValue } from '../../../dist/protocol/index.js';

/** A JSON-safe copy of a decoded value: Buffers become { bytes: n }. */
export function plain(value) {
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return { bytes: value.length };
  if (Array.isArray(value)) return value.map(plain);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  return value;
}

/** Records what arrives on a socket: byte count, decoded frames, and the text of undecodable bytes. */
export function record(socket, onFrame = () => {}) {
  const seen = { bytes: 0, frames: [], text: '', decodeError: null };
  const decoder = new FrameDecoder({
    onFrame(frame) {
      let connection;
      try {
        connection = plain(decodeValue(frame.connection));
      } catch {
        connection = { undecodable: frame.connection.length };
      }
      seen.frames.push({ kind: frame.kind, id: frame.id, connection, application: frame.application.length });
      onFrame(frame, seen);
    },
    onError(error) {
      seen.decodeError = error.message;
    },
  }, { maxFrameSize: 64 * 1024 * 1024 });
  socket.on('data', (chunk) => {
    seen.bytes += chunk.length;
    // Everything printable it ever received: a test checks no channel or method name is in it.
    seen.text += chunk.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
    decoder.push(chunk);
  });
  return seen;
}
