// The onelink wire format: frames, their streaming decoder, the value codec and the handshake.
// Pure: no sockets, no timers.
export * from './constants.js';
export * from './errors.js';
export * from './frame.js';
export * from './decoder.js';
export * from './codec.js';
export * from './handshake.js';
