// A leader that closes gracefully answers what it started and starts nothing new: calls, channel
// opens, subscriptions and publications that arrive during its drain are refused with
// LeaderClosingError, which a follower takes as a leader loss (they go to the next leader, which
// runs each once). Over the in-memory network.
import assert from 'node:assert/strict';
import type { LocalChannel } from '../../../lib/channel.js';
import { isLeaderLoss } from '../../../lib/call-policy.js';
import { LeaderClosingError } from '../../../lib/errors.js';
import { encodeValue, Op } from '../../../protocol/index.js';
import { defaults } from '../../../lib/options.js';
import { DataClientPool } from '../../../lib/leader/pool.js';
import { LeaderServer } from '../../../lib/leader/server.js';
import { agreementOf } from '../../../lib/spec.js';
import type { Endpoint } from '../../../lib/transport/connection.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { channelOf, delay, quietLogger, RawFollower, testIdentity, transportOptions, until } from './helpers.js';

const endpoint: Endpoint = { kind: 'tcp', port: 1 };

class Upstream {
  static live: Upstream;
  subscriptions = 0;
  publications: unknown[] = [];
  constructor() {
    Upstream.live = this;
  }

  async slow(ms: number): Promise<number> {
    await delay(ms);
    return ms;
  }

  subscribe(_reg: unknown, _listener: (value: unknown) => void): void {
    this.subscriptions++;
  }

  async publish(reg: unknown): Promise<void> {
    this.publications.push(reg);
  }
}

describe('leader: a graceful close refuses what it has not started', () => {
  let network: MemoryNetwork;
  let server: LeaderServer;
  let channel: LocalChannel;
  let raw: RawFollower;

  beforeEach(async () => {
    network = new MemoryNetwork();
    channel = channelOf(Upstream);
    const pool = new DataClientPool(new Map([[channel.name, channel]]), { maxWaitTime: 5000, logger: quietLogger, where: 'the test endpoint' });
    server = new LeaderServer((await network.listen(endpoint))!, pool, {
      transport: transportOptions, connectTimeout: 1000, identity: testIdentity, logger: quietLogger, endpoint: 'memory',
      failovers: () => ({ failovers: 0, lastFailoverMs: null }), limits: { ...defaults },
    });
    raw = await RawFollower.connect(network, endpoint);
    assert.deepEqual(await raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)]), { error: false, value: undefined });
  });

  afterEach(() => raw.destroy());

  it('answers the call it started, and refuses calls, OPENs, SUBSCRIBEs and PUBLISHes that arrive during the drain', async () => {
    const started = raw.request([Op.INVOKE, channel.name, 'slow'], encodeValue([200]));
    await until('the slow call running', () => server.status().followers[0]?.inFlight === 1);
    const closed = server.close(new Map(), 2000);
    const refused = await Promise.all([
      raw.request([Op.INVOKE, channel.name, 'slow'], encodeValue([1])),
      raw.request([Op.OPEN, 'another', agreementOf(channel.spec)]),
      raw.request([Op.SUBSCRIBE, channel.name, 1], encodeValue({ key: 'k' })),
      raw.request([Op.PUBLISH, channel.name], encodeValue({ key: 'p' })),
    ]);
    for (const reply of refused) {
      assert.equal(reply.error, true, JSON.stringify(reply));
      assert.equal((reply.value as { code: string }).code, 'ERR_ONELINK_LEADER_CLOSING');
    }
    assert.deepEqual(await started, { error: false, value: 200 });
    await closed;
    assert.equal(Upstream.live.subscriptions, 0, 'a subscription was made upstream by a closing leader');
    assert.deepEqual(Upstream.live.publications, [], 'a publication ran on a closing leader (the next leader runs it again)');
  });

  it('is a leader loss to the follower: the next election sends it again, nothing is reported as failed', () => {
    assert.equal(isLeaderLoss(new LeaderClosingError('subscribe')), true);
  });
});
