// Moved to the protocol: how application objects (arguments, results, values) are put in a frame.
export * from '../protocol/payload.js';
