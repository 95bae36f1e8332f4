// onelink/session: an express-session store shared by every process on the machine through the leader.
export { SESSION_DEFAULTS, type SharedSessionStoreOptions } from './options.js';
export { SharedSessionStore } from './shared-session-store.js';
