// What a follower sends cannot crash the leader nor grow its memory without bound: each shape of
// bad request fails that request alone, each bound refuses the request or drops the peer, and a
// dropped peer releases at once everything it held. Over the in-memory network.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { ConnectingHandshake, decodeValue, encodeConnection, encodeValue, FrameKind, LeaderHandshake, Op, PROTOCOL_VERSION, ProtocolError } from '../../../protocol/index.js';
import { LeaderLink } from '../../../lib/follower/link.js';
import { FramedTransport } from '../../../lib/transport/framed.js';
import type { LocalChannel } from '../../../lib/channel.js';
import { defaults } from '../../../lib/options.js';
import { DataClientPool } from '../../../lib/leader/pool.js';
import { LeaderServer } from '../../../lib/leader/server.js';
import type { LeaderOptions } from '../../../lib/leader/follower-connection.js';
import { agreementOf } from '../../../lib/spec.js';
import type { Endpoint } from '../../../lib/transport/connection.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { channelOf, delay, RawFollower, testIdentity, transportOptions, until } from './helpers.js';

const endpoint: Endpoint = { kind: 'tcp', port: 1 };

/** A DataClient with subscriptions, whose values the test emits. */
class Feed extends EventEmitter {
  static live: Feed | null = null;
  upstream = 0;
  constructor() {
    super();
    Feed.live = this;
  }

  subscribe(reg: unknown, listener: (value: unknown) => void): void {
    this.upstream++;
    this.on('value', listener);
  }

  unSubscribe(reg: unknown, listener: (value: unknown) => void): void {
    this.upstream--;
    this.off('value', listener);
  }

  async echo(value: unknown): Promise<unknown> {
    return value;
  }

  async slow(ms: number): Promise<number> {
    await delay(ms);
    return ms;
  }

  async big(size: number): Promise<Buffer> {
    return Buffer.alloc(size, 1);
  }
}

/** msgpack uint64 2^64-1: msgpackr decodes it as a BigInt, which JSON (the default formatKey) cannot format. */
const BIGINT_REG = Buffer.from([0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
/** An array nested 3,000 deep. */
const DEEP_REG = Buffer.concat([Buffer.alloc(3000, 0x91), Buffer.from([0xc0])]);

describe('leader: hostile followers', () => {
  let network: MemoryNetwork;
  let pool: DataClientPool;
  let server: LeaderServer;
  let channel: LocalChannel;
  let followers: RawFollower[];
  let warnings: string[];

  async function start(limits: Partial<LeaderOptions['limits']> = {}, transport = transportOptions): Promise<void> {
    network = new MemoryNetwork();
    channel = channelOf(Feed);
    const channels = new Map([[channel.name, channel]]);
    warnings = [];
    const logger = { info() {}, error() {}, warn: (message: string) => warnings.push(message) };
    pool = new DataClientPool(channels, { maxWaitTime: 5000, logger, where: 'the test endpoint' });
    server = new LeaderServer((await network.listen(endpoint))!, pool, { transport, connectTimeout: 1000, identity: testIdentity, logger, endpoint: 'memory', failovers: () => ({ failovers: 0, lastFailoverMs: null }), limits: { ...defaults, ...limits } });
    followers = [];
  }

  afterEach(async () => {
    for (const follower of followers) follower.destroy();
    await server.close(new Map(), 10);
  });

  async function follower(): Promise<RawFollower> {
    const raw = await RawFollower.connect(network, endpoint);
    followers.push(raw);
    return raw;
  }

  async function opened(): Promise<RawFollower> {
    const raw = await follower();
    assert.deepEqual(await raw.request([Op.OPEN, channel.name, agreementOf(channel.spec)]), { error: false, value: undefined });
    return raw;
  }

  function codeOf(reply: { error: boolean; value: unknown }): string {
    assert.equal(reply.error, true, 'the request succeeded');
    return (reply.value as { code: string }).code;
  }

  describe('requests that cannot be served fail alone, and closing afterwards throws nothing', () => {
    beforeEach(() => start());

    for (const [shape, reg] of [['a BigInt reg', BIGINT_REG], ['an array nested 3,000 deep', DEEP_REG]] as const) {
      it(`SUBSCRIBE with ${shape}: refused or served, stored only if keyed, released on close`, async () => {
        const raw = await opened();
        const reply = await raw.request([Op.SUBSCRIBE, channel.name, 1], reg);
        if (reply.error) assert.ok(['ERR_ONELINK_BAD_REQUEST', 'ERR_ONELINK_PROTOCOL_BODY'].includes(codeOf(reply)), codeOf(reply));
        // Still served after it.
        assert.deepEqual(await raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue(['after'])), { error: false, value: 'after' });
        raw.destroy();
        await raw.closed;
        await until('the connection forgotten', () => server.connectionCount === 0);
        assert.equal(Feed.live!.upstream, 0, 'an upstream subscription outlived the follower');
      });
    }

    it('the BigInt reg is refused with ERR_ONELINK_BAD_REQUEST', async () => {
      const raw = await opened();
      assert.equal(codeOf(await raw.request([Op.SUBSCRIBE, channel.name, 1], BIGINT_REG)), 'ERR_ONELINK_BAD_REQUEST');
      assert.equal(Feed.live!.upstream, 0);
    });

    it('undecodable connection objects, unknown ops and fields of the wrong type get typed error replies; the connection keeps working', async () => {
      const raw = await opened();
      const cases: Array<[unknown[] | Buffer, Buffer | undefined, string]> = [
        [Buffer.from([0xc1]), undefined, 'ERR_ONELINK_PROTOCOL_BODY'],
        [[99, channel.name], undefined, 'ERR_ONELINK_BAD_REQUEST'],
        [[Op.INVOKE, 42, 'echo'], undefined, 'ERR_ONELINK_BAD_REQUEST'],
        [[Op.INVOKE, channel.name, { not: 'a name' }], encodeValue([1]), 'ERR_ONELINK_BAD_REQUEST'],
        [[Op.INVOKE, channel.name, 'echo'], encodeValue({ not: 'an array' }), ''],
        [[Op.SUBSCRIBE, channel.name, 'one'], encodeValue({}), 'ERR_ONELINK_BAD_REQUEST'],
        [[Op.OPEN, channel.name, 'no agreement'], undefined, 'ERR_ONELINK_BAD_REQUEST'],
        [[Op.OPEN, [channel.name], agreementOf(channel.spec)], undefined, 'ERR_ONELINK_BAD_REQUEST'],
      ];
      let id = 100;
      for (const [connection, application, code] of cases) {
        const frameId = id++;
        const reply = new Promise<{ error: boolean; value: unknown }>((resolve) => {
          const poll = setInterval(() => {
            const frame = raw.frames.find((f) => f.id === frameId);
            if (!frame) return;
            clearInterval(poll);
            resolve({ error: frame.connection[1] === 1, value: frame.application.length ? decodeValue(frame.application) : undefined });
          }, 1);
        });
        raw.postRaw(Buffer.isBuffer(connection) ? connection : encodeConnection(connection), application, frameId);
        const answer = await reply;
        assert.equal(answer.error, true, `${JSON.stringify(connection)} succeeded`);
        if (code) assert.equal((answer.value as { code: string }).code, code, JSON.stringify(connection));
      }
      // UNSUBSCRIBE and CLOSE of what does not exist are ignored.
      raw.post([Op.UNSUBSCRIBE, channel.name, 'nothing']);
      raw.post([Op.CLOSE, { not: 'a name' }]);
      assert.deepEqual(await raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue(['still working'])), { error: false, value: 'still working' });
    });
  });

  describe('bounds', () => {
    it('maxRequestsPerPeer: a request over it is refused with ERR_ONELINK_PEER_LIMIT, once with one warning', async () => {
      await start({ maxRequestsPerPeer: 2 });
      const raw = await opened();
      const slow = [raw.request([Op.INVOKE, channel.name, 'slow'], encodeValue([100])), raw.request([Op.INVOKE, channel.name, 'slow'], encodeValue([100]))];
      const refused = await Promise.all([raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue([1])), raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue([2]))]);
      for (const reply of refused) assert.equal(codeOf(reply), 'ERR_ONELINK_PEER_LIMIT');
      assert.deepEqual((await Promise.all(slow)).map((r) => r.value), [100, 100]);
      assert.equal(warnings.filter((w) => w.includes('maxRequestsPerPeer')).length, 1, warnings.join('\n'));
      assert.deepEqual(await raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue([3])), { error: false, value: 3 });
    });

    it('maxPendingOpensPerPeer and maxChannelsPerPeer refuse OPENs; a follower that goes away releases its waiting OPENs at once', async () => {
      await start({ maxPendingOpensPerPeer: 3, maxChannelsPerPeer: 4 });
      const raw = await opened();
      for (const name of ['a', 'b', 'c']) raw.request([Op.OPEN, name, agreementOf(channel.spec)]).catch(() => undefined);
      await until('three OPENs waiting', () => pool.waitingOpens === 3);
      assert.equal(codeOf(await raw.request([Op.OPEN, 'd', agreementOf(channel.spec)])), 'ERR_ONELINK_PEER_LIMIT');
      const other = await follower();
      other.request([Op.OPEN, 'x', agreementOf(channel.spec)]).catch(() => undefined);
      await until('its OPEN waiting', () => pool.waitingOpens === 4);
      raw.destroy();
      await raw.closed;
      await until('the OPENs of the follower that left released', () => pool.waitingOpens === 1);
      await server.close(new Map(), 10);
      await start({ maxPendingOpensPerPeer: 10, maxChannelsPerPeer: 2 });
      const limited = await opened();
      limited.request([Op.OPEN, 'e', agreementOf(channel.spec)]).catch(() => undefined);
      await until('one OPEN waiting', () => pool.waitingOpens === 1);
      assert.equal(codeOf(await limited.request([Op.OPEN, 'f', agreementOf(channel.spec)])), 'ERR_ONELINK_PEER_LIMIT');
      assert.ok(warnings.some((w) => w.includes('maxChannelsPerPeer')));
    });

    it('maxSubscriptionsPerPeer refuses subscriptions; a reused id replaces its subscription; closing releases every upstream subscription', async () => {
      await start({ maxSubscriptionsPerPeer: 2 });
      const raw = await opened();
      for (const id of [1, 2]) assert.equal((await raw.request([Op.SUBSCRIBE, channel.name, id], encodeValue({ key: id }))).error, false);
      assert.equal(codeOf(await raw.request([Op.SUBSCRIBE, channel.name, 3], encodeValue({ key: 3 }))), 'ERR_ONELINK_PEER_LIMIT');
      assert.equal(Feed.live!.upstream, 2);
      // Id 1 reused 100 times: still two subscriptions, upstream too.
      for (let i = 0; i < 100; i++) assert.equal((await raw.request([Op.SUBSCRIBE, channel.name, 1], encodeValue({ key: `again-${i}` }))).error, false);
      assert.equal(Feed.live!.upstream, 2);
      raw.destroy();
      await until('upstream subscriptions released', () => Feed.live!.upstream === 0);
    });

    it('maxConnections: when every connection is authenticated, connections over it are closed as they arrive', async () => {
      await start({ maxConnections: 2 });
      await follower();
      await follower();
      await until('both authenticated', () => server.handshakingCount === 0);
      const third = network.connect(endpoint);
      let closed = false;
      third.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose: () => (closed = true) });
      await until('the third connection closed', () => closed);
      assert.equal(server.connectionCount, 2);
      assert.equal(warnings.filter((w) => w.includes('maxConnections')).length, 1);
    });

    it('maxConnections: at the limit a newcomer evicts the oldest connection still in its handshake, never an authenticated one', async () => {
      await start({ maxConnections: 4 });
      const stranger = () => {
        const connection = network.connect(endpoint);
        const state = { closed: false };
        connection.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose: () => (state.closed = true) });
        return state;
      };
      const honest = await opened();
      // Three peers that connect and never send a byte fill the leader up.
      const idle = [stranger(), stranger(), stranger()];
      await until('four connections', () => server.connectionCount === 4);
      assert.equal(server.handshakingCount, 3);
      // A follower joins at once (well before connectTimeout, 1 s here): the oldest idle peer made room.
      const started = Date.now();
      const late = await follower();
      assert.deepEqual(await late.request([Op.OPEN, channel.name, agreementOf(channel.spec)]), { error: false, value: undefined });
      assert.ok(Date.now() - started < 500, `joining took ${Date.now() - started} ms`);
      await until('the oldest idle peer closed', () => idle[0]!.closed);
      assert.deepEqual(idle.map((s) => s.closed), [true, false, false]);
      assert.equal(warnings.filter((w) => w.includes('without completing the handshake')).length, 1, warnings.join('\n'));
      // More idle peers evict idle peers, oldest first, and nothing else.
      const more = [stranger(), stranger()];
      await until('the two other idle peers closed', () => idle[1]!.closed && idle[2]!.closed);
      assert.deepEqual(more.map((s) => s.closed), [false, false]);
      assert.equal(server.connectionCount, 4);
      for (const raw of [honest, late]) {
        assert.equal(raw.isClosed, false);
        assert.deepEqual(await raw.request([Op.INVOKE, channel.name, 'echo'], encodeValue(['still served'])), { error: false, value: 'still served' });
      }
      // Every connection authenticated: a newcomer is refused, and no follower is evicted for it.
      await follower();
      await follower();
      await until('both authenticated', () => server.handshakingCount === 0);
      const refused = stranger();
      await until('the newcomer refused', () => refused.closed);
      assert.equal(server.connectionCount, 4);
      assert.ok(followers.every((raw) => !raw.isClosed), 'an authenticated follower was evicted');
      assert.equal(warnings.filter((w) => w.includes('maxConnections') && w.includes('refused')).length, 1, warnings.join('\n'));
    });

    it('maxQueuedBytes: a subscriber that stops reading is dropped once its queue is over the bound, and its subscription released', async () => {
      await start({ maxQueuedBytes: 256 * 1024 });
      const raw = await opened();
      const honest = await opened();
      assert.equal((await raw.request([Op.SUBSCRIBE, channel.name, 1], encodeValue('feed'))).error, false);
      assert.equal((await honest.request([Op.SUBSCRIBE, channel.name, 1], encodeValue('feed'))).error, false);
      raw.stopReading();
      const value = Buffer.alloc(64 * 1024, 7);
      for (let i = 0; i < 100 && !raw.isClosed; i++) {
        Feed.live!.emit('value', value);
        await delay(1);
      }
      await raw.closed;
      assert.ok(warnings.some((w) => /does not read/.test(w) && w.includes('maxQueuedBytes')), warnings.join('\n'));
      assert.equal(Feed.live!.upstream, 1, 'the honest subscriber lost its subscription, or the dropped one kept its own');
      assert.equal(honest.isClosed, false);
    });

    it('maxQueuedBytes: a peer that writes but never reads is dropped at the heartbeat even when nothing more is sent to it', async () => {
      await start({ maxQueuedBytes: 32 * 1024 }, { ...transportOptions, heartbeatInterval: 30 });
      const raw = await opened();
      raw.stopReading();
      // One large answer goes on the queue (a slow honest reader is not dropped for one large result)...
      raw.request([Op.INVOKE, channel.name, 'big'], encodeValue([512 * 1024])).catch(() => undefined);
      // ...but a peer that leaves it there is, however much it writes meanwhile.
      const writing = setInterval(() => raw.post([Op.UNSUBSCRIBE, channel.name, 0]), 5);
      try {
        await raw.closed;
      } finally {
        clearInterval(writing);
      }
      assert.ok(warnings.some((w) => w.includes('maxQueuedBytes')), warnings.join('\n'));
    });

    it('maxPartialFrameBytes: a connection that starts a frame beyond the total held by all connections is dropped', async () => {
      await start({ maxPartialFrameBytes: 300 * 1024 });
      const first = await follower();
      const second = await follower();
      const header = (size: number) => {
        const frame = Buffer.alloc(24 + 10);
        frame[0] = PROTOCOL_VERSION;
        frame[1] = FrameKind.REQUEST;
        frame.writeUInt32BE(size, 20);
        return frame;
      };
      first.writeBytes(header(200 * 1024));
      await until('the first partial frame counted', () => server.partialFrameBytes > 200 * 1024);
      second.writeBytes(header(200 * 1024));
      await second.closed;
      assert.equal(first.isClosed, false);
      assert.ok(warnings.some((w) => w.includes('maxPartialFrameBytes')), warnings.join('\n'));
      first.destroy();
      await until('its bytes given back', () => server.partialFrameBytes === 0);
    });

    it('before the handshake only small frames are accepted', async () => {
      await start();
      const stranger = network.connect(endpoint);
      let closed = false;
      stranger.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose: () => (closed = true) });
      const hello = new ConnectingHandshake(testIdentity, 'follower').hello();
      const header = Buffer.from(hello.subarray(0, 24));
      header.writeUInt32BE(1024 * 1024, 20); // a "hello" announcing a 1 MiB body
      stranger.write(header);
      await until('the stranger dropped', () => closed);
      assert.equal(server.partialFrameBytes, 0);
    });
  });
});

describe('follower: what a hostile leader sends', () => {
  const shapes: Array<[string, Buffer]> = [
    ['an undecodable connection object', Buffer.from([0xc1])],
    ['a push with a subscription id that is not a number', encodeConnection([Op.PUSH, 'feed', 'one'])],
    ['a push without a channel name', encodeConnection([Op.PUSH, 7, 1])],
    ['an unknown op', encodeConnection([77, 'feed'])],
  ];
  for (const [shape, connection] of shapes) {
    it(`${shape}: the link is dropped with a ProtocolError, nothing thrown`, async () => {
      const network = new MemoryNetwork();
      network.hold(endpoint, (conn) => {
        const handshake = new LeaderHandshake({ ...testIdentity, pid: 1 });
        let received = 0;
        const transport: FramedTransport = new FramedTransport(conn, {
          onFrame: (frame) => {
            if (++received === 1) {
              transport.sendEncoded(handshake.acceptHello(frame).reply);
              return;
            }
            if (received > 2) return;
            handshake.acceptAuth(frame);
            transport.authenticate();
            transport.send(FrameKind.REQUEST, 0, 0, 0, connection, encodeValue('value'));
          },
          onClose() {},
        }, transportOptions);
      });
      let lost: Error | undefined;
      const pushes: unknown[] = [];
      const link = await LeaderLink.connect(network, endpoint, testIdentity, { ...transportOptions, connectTimeout: 1000 }, {
        onPush: (...args) => pushes.push(args),
        onHandover() {},
        onLost: (_link, error) => (lost = error ?? new Error('lost without an error')),
      });
      await until('the link lost', () => lost !== undefined);
      assert.ok(lost instanceof ProtocolError, String(lost));
      assert.equal((lost as ProtocolError).code, 'ERR_ONELINK_PROTOCOL_BODY');
      assert.deepEqual(pushes, []);
      assert.equal(link.closed, true);
    });
  }
});
