// The modules that define registered error classes, loaded here so that each class is registered
// (registerErrorClass) in any process that rebuilds error replies: lib/call-policy.ts imports this
// module and rebuilds every reply of a leader. A StoreClosedError raised in the leader then arrives in
// a follower as a StoreClosedError, even if the follower's own code never loaded the session stores.
// A module that defines and registers more error classes is added here.
import './errors.js';
import './stores/errors.js';
import './registry/errors.js';
import './security/errors.js';
