// onelink: one upstream connection per machine, shared by every Node.js process through a leader.
import { APIClientBase, close, cluster as clusterFn } from './api.js';

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

/** `cluster(Client, options)`, with `cluster.close` and `cluster.APIClientBase` as in cluster-client 3.x. */
export const cluster = Object.assign(clusterFn, { close, APIClientBase });
export default cluster;
