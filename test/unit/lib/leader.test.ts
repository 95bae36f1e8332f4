// The leader's side over the in-memory network: followers' OPEN and CLOSE against the DataClient
// pool, the handshake timeout, and the frame-size limit of each follower's connection.
import { Op } from '../../../protocol/index.js';
import assert from 'node:assert/strict';
import { defaults } from '../../../lib/options.js';
import type { LocalChannel } from '../../../lib/channel.js';
import { DataClientPool } from '../../../lib/leader/pool.js';
import { LeaderServer } from '../../../lib/leader/server.js';
import { Observer } from '../../../lib/observe/observer.js';
import type { LeaderStatus } from '../../../lib/observe/status.js';
import { agreementOf } from '../../../lib/spec.js';
import type { Endpoint } from '../../../lib/transport/connection.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { channelOf, delay, quietLogger, RawFollower, testIdentity, transportOptions, until } from './helpers.js';

const endpoint: Endpoint = { kind: 'tcp', port: 1 };

class SlowStart {
  static closed = 0;
  async ready(): Promise<void> {
    await delay(30);
  }

  async get(): Promise<number> {
    return 42;
  }

  close(): void {
    SlowStart.closed++;
  }
}

describe('leader: followers against the DataClient pool', () => {
  let channels: Map<string, LocalChannel>;
  let pool: DataClientPool;
  let server: LeaderServer;
  let network: MemoryNetwork;
  let followers: RawFollower[];

  beforeEach(async () => {
    SlowStart.closed = 0;
    network = new MemoryNetwork();
    channels = new Map();
    pool = new DataClientPool(channels, { maxWaitTime: 1000, logger: quietLogger, where: 'the test endpoint' });
    server = new LeaderServer((await network.listen(endpoint))!, pool, { transport: transportOptions, connectTimeout: 100, identity: testIdentity, logger: quietLogger, endpoint: 'memory', failovers: () => ({ failovers: 0, lastFailoverMs: null }), limits: defaults });
    followers = [];
  });

  afterEach(async () => {
    for (const follower of followers) follower.destroy();
    await server.close(new Map(), 10);
  });

  async function follower(options = transportOptions): Promise<RawFollower> {
    const raw = await RawFollower.connect(network, endpoint, options);
    followers.push(raw);
    return raw;
  }

  function addChannel(): LocalChannel {
    const channel = channelOf(SlowStart);
    channels.set(channel.name, channel);
    return channel;
  }

  /** What the agent does when the last client of the channel in this process closes. */
  async function leaveLocally(channel: LocalChannel): Promise<void> {
    channels.delete(channel.name);
    await pool.disposeIfUnused(channel.name);
  }

  it('serves a call on the channel a follower opened, and keeps the DataClient while that follower uses it', async () => {
    const channel = addChannel();
    const raw = await follower();
    assert.equal((await raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)])).error, false);
    const reply = await raw.request([Op.INVOKE, channel.name, 'get']);
    assert.deepEqual(reply, { error: false, value: 42 });
    await leaveLocally(channel);
    assert.equal(SlowStart.closed, 0, 'the follower still uses it');
    raw.post([Op.CLOSE, channel.name]);
    await until('the DataClient closed', () => SlowStart.closed === 1);
  });

  it('releases the DataClient when a CLOSE overtakes its OPEN, which waited for the DataClient to start', async () => {
    const channel = addChannel();
    const raw = await follower();
    const opened = raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)]);
    raw.post([Op.CLOSE, channel.name]);
    await opened;
    await leaveLocally(channel);
    assert.equal(SlowStart.closed, 1, 'nobody holds the DataClient any more');
    const call = await raw.request([Op.INVOKE, channel.name, 'get']);
    assert.equal(call.error, true, 'the channel is not open on that connection');
  });

  it('releases the DataClient when the follower goes away while its OPEN waits', async () => {
    const channel = addChannel();
    const raw = await follower();
    void raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)]);
    await delay(1);
    raw.destroy();
    await delay(60); // the DataClient has started by now
    await leaveLocally(channel);
    assert.equal(SlowStart.closed, 1);
  });

  it('serves an observer its stats, without counting it as a follower', async () => {
    const channel = addChannel();
    const raw = await follower();
    await raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)]);
    await raw.request([Op.INVOKE, channel.name, 'get']);
    await raw.request([Op.INVOKE, channel.name, 'missing']);
    const observer = await Observer.connect(network, endpoint, testIdentity);
    const status: LeaderStatus = await observer.stats();
    observer.close();
    assert.equal(status.leader.pid, process.pid);
    assert.deepEqual(status.channels, [{ name: channel.name, dataClient: 'SlowStart', followers: 1, subscriptions: 0, local: true }]);
    assert.equal(status.followers.length, 1);
    assert.deepEqual([status.followers[0].calls, status.followers[0].errors, status.followers[0].channels], [2, 1, [channel.name]]);
    assert.deepEqual([status.counters.calls, status.counters.errors], [2, { ERR_ONELINK_METHOD_NOT_DELEGATED: 1 }]);
  });

  it('refuses anything but STATS from an observer, and closes its connection', async () => {
    const channel = addChannel();
    const observer = await RawFollower.connect(network, endpoint, transportOptions, 'observer');
    followers.push(observer);
    assert.equal((await observer.request([Op.STATS])).error, false);
    const refused = await observer.request([Op.OPEN, channel.name, agreementOf(channel.spec)]);
    assert.equal(refused.error, true);
    assert.equal((refused.value as { code: string }).code, 'ERR_ONELINK_OBSERVER_REFUSED');
    await observer.closed;
    assert.equal(SlowStart.closed, 0);
  });

  it('drops a connection that sends no handshake within connectTimeout', async () => {
    const connection = network.connect(endpoint);
    let closed = false;
    connection.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose: () => (closed = true) });
    await until('the leader dropped it', () => closed, 1000);
  });

  it('drops a follower whose frame exceeds that connection\'s maxFrameSize, and only that follower', async () => {
    const channel = addChannel();
    const roomy = await follower();
    const small = await follower({ ...transportOptions, maxFrameSize: 1024 });
    // The limit is the leader's own (1 MiB): a follower with a smaller one may still send a large frame.
    assert.equal((await small.request([Op.OPEN, channel.name, agreementOf(channel.spec)], Buffer.alloc(2048))).error, false);
    void roomy.request([Op.OPEN, channel.name, agreementOf(channel.spec)], Buffer.alloc(2 * 1024 * 1024));
    await roomy.closed;
    assert.equal(small.isClosed, false);
    assert.deepEqual(await small.request([Op.INVOKE, channel.name, 'get']), { error: false, value: 42 });
  });
});
