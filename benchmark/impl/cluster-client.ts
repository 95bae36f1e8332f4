// cluster-client 3.7.0 from npm, the library onelink replaces, driven with its documented API.
import { createRequire } from 'node:module';
import { RESPONSE_TIMEOUT_MS } from '../config.js';
import { EchoClient } from '../echo-client.js';
import { benchClientOf, quietLogger, type BenchClient, type CreatedEchoClient, type Implementation } from './implementation.js';

const require = createRequire(import.meta.url);

interface ClusterClientApi extends CreatedEchoClient {
  ready(): Promise<void>;
}

/** The part of cluster-client's builder the benchmark uses. */
interface ClusterClientBuilder {
  delegate(name: string, to: string): ClusterClientBuilder;
  create(): ClusterClientApi;
}

const cluster = require('cluster-client') as (clientClass: unknown, options: Record<string, unknown>) => ClusterClientBuilder;

export const clusterClient: Implementation = {
  name: 'cluster-client',
  hasFailover: true,
  // The election decides the role: the parent starts the intended leader first and checks.
  async connect(port: number): Promise<BenchClient> {
    const client: ClusterClientApi = cluster(EchoClient, {
      name: 'bench-echo',
      port,
      responseTimeout: RESPONSE_TIMEOUT_MS,
      logger: quietLogger,
    })
      .delegate('echo', 'invoke')
      .delegate('hostPid', 'invoke')
      .delegate('subscribe', 'subscribe')
      .delegate('close', 'close')
      .create();
    await client.ready();
    return benchClientOf(client);
  },
};
