// Two agents of one port in one process, over the in-memory network: the whole path of a call from
// a follower to the leader's DataClient and back, and an idempotent call surviving a handover.
import assert from 'node:assert/strict';
import { Agent, endpointOf } from '../../../lib/agent.js';
import type { ChannelMember } from '../../../lib/channel.js';
import { LeaderLostError } from '../../../lib/errors.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { delay, specOf, until } from './helpers.js';

class Counter {
  static instances = 0;
  private count = 0;
  constructor() {
    Counter.instances++;
  }

  async increment(): Promise<number> {
    return ++this.count;
  }

  async slowPid(ms: number): Promise<number> {
    await delay(ms);
    return Counter.instances;
  }
}

const member: ChannelMember = { mayLead: true, emitFromDataClient() {}, emit: () => false };

describe('agent over the in-memory network', () => {
  const options = { port: 1, maxWaitTime: 2000, responseTimeout: 1000 };

  function agent(network: MemoryNetwork, key: string): Agent {
    const resolved = specOf(Counter, options).options;
    return new Agent(key, endpointOf(resolved), resolved, network);
  }

  beforeEach(() => {
    Counter.instances = 0;
  });

  it('routes a follower\'s call to the leader\'s DataClient and back; one DataClient serves both', async () => {
    const network = new MemoryNetwork();
    const leader = agent(network, 'a');
    const leaderChannel = leader.join(member, specOf(Counter, options));
    await leaderChannel.ready;
    const follower = agent(network, 'b');
    const followerChannel = follower.join(member, specOf(Counter, options));
    await followerChannel.ready;
    assert.equal(leader.isLeader, true);
    assert.equal(follower.isLeader, false);
    assert.equal(await follower.invoke(followerChannel, 'increment', [], false, false), 1);
    assert.equal(await leader.invoke(leaderChannel, 'increment', [], false, false), 2);
    assert.equal(Counter.instances, 1);
    await follower.leave(followerChannel, member);
    await leader.leave(leaderChannel, member);
  });

  it('re-sends an idempotent call in flight to the next leader when the leader closes, and fails another with LeaderLostError', async () => {
    const network = new MemoryNetwork();
    const hasty = { ...options, responseTimeout: 50 }; // the leader drains its calls in flight for this long
    const resolved = specOf(Counter, hasty).options;
    const leader = new Agent('a', endpointOf(resolved), resolved, network);
    const leaderChannel = leader.join(member, specOf(Counter, hasty));
    await leaderChannel.ready;
    const follower = agent(network, 'b');
    const channel = follower.join(member, specOf(Counter, options));
    await channel.ready;
    // Slower than the leader's drain: both calls are cut off by the close.
    const idempotent = follower.invoke(channel, 'slowPid', [200], true, false);
    const other = follower.invoke(channel, 'slowPid', [200], false, false).catch((err) => err);
    await delay(10);
    const closing = leader.leave(leaderChannel, member);
    assert.ok(await other instanceof LeaderLostError);
    await until('the follower leads', () => follower.isLeader, 3000);
    assert.equal(await idempotent, 2, 'answered by the new leader\'s DataClient');
    await closing;
    await follower.leave(channel, member);
  });
});
