// onelink from this checkout.
import { cluster } from '../../lib/index.js';
import { RESPONSE_TIMEOUT_MS } from '../config.js';
import { EchoClient } from '../echo-client.js';
import { benchClientOf, quietLogger, type BenchClient, type Implementation } from './implementation.js';

export const onelink: Implementation = {
  name: 'onelink',
  hasFailover: true,
  // The election decides the role: the parent starts the intended leader first and checks.
  async connect(port: number): Promise<BenchClient> {
    const client = cluster(EchoClient, { name: 'bench-echo', port, responseTimeout: RESPONSE_TIMEOUT_MS, logger: quietLogger })
      .delegate('echo', 'invoke')
      .delegate('hostPid', { to: 'invoke', idempotent: true })
      .delegate('subscribe', 'subscribe')
      .delegate('close', 'close')
      .create();
    await client.ready();
    return benchClientOf(client);
  },
};
