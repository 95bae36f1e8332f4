// onelink: one upstream connection per machine, shared by every Node.js process through a leader.
import { AuthError, ProtocolError } from '../protocol/index.js';
import { APIClientBase, close, ClusterClientBuilder, cluster as clusterFn } from './api.js';
import * as errors from './errors.js';
import { DEFAULT_PORT, defaults } from './options.js';
import { closeOnSignals, SHUTDOWN_DEFAULTS } from './shutdown.js';
import { KeyFileError, RuntimeDirError, SocketPathError } from './security/errors.js';
import { endpointKey, tcpEndpointId, unixEndpointId } from './security/endpoint-key.js';

export { APIClientBase, close, ClusterClientBuilder } from './api.js';
export type { ClientStats, FailoverEvent } from './agent.js';
export type { CallStatsSnapshot, LatencyStats } from './observe/call-stats.js';
export type { LeaderStatus } from './observe/status.js';
export type { ClusterClient, ClusterClientBase, DelegateKinds, KindOf, MethodName, Promisified } from './api.js';
export * from './errors.js';
export { DEFAULT_PORT, defaults } from './options.js';
export type { ClusterOptions, DelegateKind, DelegateSpec, Logger } from './options.js';
export { closeOnSignals, SHUTDOWN_DEFAULTS } from './shutdown.js';
export type { Closable, CloseOnSignalsOptions, GracefulShutdown } from './shutdown.js';
export { AuthError, ProtocolError } from '../protocol/index.js';
export { KeyFileError, RuntimeDirError, SocketPathError } from './security/errors.js';
export { endpointKey, tcpEndpointId, unixEndpointId } from './security/endpoint-key.js';
export type { Transcode } from '../protocol/index.js';

/** Every value this module exports, also reachable as a property of `cluster`. */
const members = { APIClientBase, AuthError, close, closeOnSignals, ClusterClientBuilder, DEFAULT_PORT, defaults, endpointKey, KeyFileError, ProtocolError, RuntimeDirError, SHUTDOWN_DEFAULTS, SocketPathError, tcpEndpointId, unixEndpointId, ...errors };

type Cluster = typeof clusterFn & typeof members & { readonly cluster: Cluster; readonly default: Cluster };

/**
 * `cluster(Client, options)`, with `cluster.close` and `cluster.APIClientBase` as in cluster-client 3.x,
 * and every other export as a property too, so that `require('onelink')` (which returns this function,
 * see below) reaches the whole API like `require('cluster-client')` does.
 */
export const cluster = Object.assign(clusterFn, members) as Cluster;
Object.defineProperties(cluster, { cluster: { value: cluster, enumerable: true }, default: { value: cluster, enumerable: true } });

export default cluster;

// require('onelink') from CommonJS (Node >= 20.19 loads ES modules with require()) returns this export
// instead of the module namespace: the function itself, as code written for cluster-client expects.
export { cluster as 'module.exports' };
