// Moved to the protocol: the connection objects, the response markers and how errors cross the wire.
// Every error class of onelink is loaded (so registered) wherever error replies are rebuilt.
import './errors.js';
import './stores/errors.js';
import './registry/errors.js';

export * from '../protocol/messages.js';
export { EMPTY } from '../protocol/constants.js';
export { errorFromWire, errorToWire } from '../protocol/error-wire.js';
