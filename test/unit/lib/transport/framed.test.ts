// The framed transport over in-memory connections: frames in order, the frame-size limit of each
// peer, heartbeats; and the in-memory network's answers (in use, refused, reset, silent).
import assert from 'node:assert/strict';
import { EMPTY, encodeConnection, FrameKind, MAX_HANDSHAKE_FRAME_SIZE, Op, ProtocolError, type Frame } from '../../../../protocol/index.js';
import type { Connection, ConnectionHandler, Endpoint } from '../../../../lib/transport/connection.js';
import { COPY_LIMIT } from '../../../../protocol/index.js';
import { FramedTransport, type TransportOptions } from '../../../../lib/transport/framed.js';
import { connectionPair, MemoryNetwork } from '../../../../lib/transport/memory.js';

const options: TransportOptions = { maxFrameSize: 1024 * 1024, heartbeatInterval: 20, heartbeatMaxMisses: 2, isCheckHeartbeat: true };

interface End {
  transport: FramedTransport;
  frames: Frame[];
  closed: Promise<Error | undefined>;
}

/** One end of a connection, authenticated (as after the handshake) unless asked otherwise. */
function end(connection: Connection, opts: TransportOptions = options, authenticated = true): End {
  const frames: Frame[] = [];
  let onClose!: (error: Error | undefined) => void;
  const closed = new Promise<Error | undefined>((resolve) => (onClose = resolve));
  const transport = new FramedTransport(connection, { onFrame: (frame) => frames.push(frame), onClose }, opts);
  if (authenticated) transport.authenticate();
  return { transport, frames, closed };
}

function until(what: string, probe: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const check = () => {
      if (probe()) resolve();
      else if (Date.now() - started > 2000) reject(new Error(`never: ${what}`));
      else setTimeout(check, 1);
    };
    check();
  });
}

describe('FramedTransport over a connection', () => {
  it('delivers the frames of one tick in order, small ones coalesced and large bodies uncopied', async () => {
    const [a, b] = connectionPair();
    const sender = end(a);
    const receiver = end(b);
    const large = Buffer.alloc(COPY_LIMIT * 2, 7);
    for (let id = 1; id <= 5; id++) sender.transport.send(FrameKind.REQUEST, 0, id, 0, Buffer.from([0x91, id]), Buffer.from(`body ${id}`));
    sender.transport.send(FrameKind.REQUEST, 0, 6, 0, Buffer.from([0x91, 6]), large);
    sender.transport.send(FrameKind.REQUEST, 0, 7, 0, Buffer.from([0x91, 7]), EMPTY);
    await until('7 frames', () => receiver.frames.length === 7);
    assert.deepEqual(receiver.frames.map((f) => f.id), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(receiver.frames[2].application.toString(), 'body 3');
    assert.ok(receiver.frames[5].application.equals(large));
  });

  it('drops a peer that sends a frame over this side\'s maxFrameSize with a ProtocolError, and only that peer', async () => {
    const [a, b] = connectionPair();
    const [c, d] = connectionPair();
    const small = end(b, { ...options, maxFrameSize: 100 });
    const roomy = end(d, { ...options, maxFrameSize: 1000 });
    const senderA = end(a);
    const senderC = end(c);
    const body = Buffer.alloc(500);
    senderA.transport.send(FrameKind.REQUEST, 0, 1, 0, EMPTY, body);
    senderC.transport.send(FrameKind.REQUEST, 0, 1, 0, EMPTY, body);
    const error = await small.closed;
    assert.ok(error instanceof ProtocolError, `expected a ProtocolError, got ${String(error)}`);
    assert.equal(small.frames.length, 0);
    await senderA.closed; // the sender sees its peer go
    await until('the roomy peer got its frame', () => roomy.frames.length === 1);
    assert.equal(roomy.transport.isClosed, false);
    senderC.transport.destroy();
    await roomy.closed;
  });

  it('before authentication, takes frames up to MAX_HANDSHAKE_FRAME_SIZE and answers no ping; authenticate() raises the limit', async () => {
    const [a, b] = connectionPair();
    const sender = end(a);
    const unauthenticated = end(b, options, false);
    const ping = encodeConnection([Op.PING]);
    sender.transport.send(FrameKind.REQUEST, 0, 1, 0, ping, EMPTY);
    sender.transport.send(FrameKind.REQUEST, 0, 2, 0, EMPTY, Buffer.alloc(MAX_HANDSHAKE_FRAME_SIZE));
    await until('2 frames', () => unauthenticated.frames.length === 2);
    assert.deepEqual(unauthenticated.frames.map((f) => f.id), [1, 2], 'the ping went to the handshake, unanswered');
    assert.equal(sender.frames.length, 0, 'a pong was sent before authentication');
    unauthenticated.transport.authenticate();
    sender.transport.send(FrameKind.REQUEST, 0, 3, 0, EMPTY, Buffer.alloc(MAX_HANDSHAKE_FRAME_SIZE + 1));
    await until('the large frame after authentication', () => unauthenticated.frames.length === 3);

    const [c, d] = connectionPair();
    const sender2 = end(c);
    const refusing = end(d, options, false);
    sender2.transport.send(FrameKind.REQUEST, 0, 1, 0, EMPTY, Buffer.alloc(MAX_HANDSHAKE_FRAME_SIZE + 1));
    const error = await refusing.closed;
    assert.ok(error instanceof ProtocolError && error.code === 'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE', String(error));
    sender.transport.destroy();
    await unauthenticated.closed;
  });

  it('answers pings by itself and drops a peer silent for heartbeatMaxMisses periods', async () => {
    const [a, b] = connectionPair();
    const pinger = end(a);
    const answering = end(b, { ...options, isCheckHeartbeat: false });
    pinger.transport.startHeartbeat();
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(pinger.transport.isClosed, false, 'a peer that answers pings stays');
    assert.equal(answering.frames.length, 0, 'pings do not reach the session layer');

    const [c, d] = connectionPair();
    const lonely = end(c);
    d.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose() {} }); // reads, never answers
    lonely.transport.startHeartbeat();
    const error = await lonely.closed;
    assert.match(String(error?.message), /missed 2 heartbeats/);
    pinger.transport.destroy();
    await answering.closed;
  });
});

describe('MemoryNetwork', () => {
  const endpoint: Endpoint = { kind: 'tcp', port: 1 };

  function events(connection: Connection): { log: string[]; closed: Promise<void> } {
    const log: string[] = [];
    let onClose!: () => void;
    const closed = new Promise<void>((resolve) => (onClose = resolve));
    const handler: ConnectionHandler = {
      onConnect: () => log.push('connect'),
      onData: (chunk) => log.push(`data ${chunk.toString()}`),
      onError: (err) => log.push(`error ${err.code}`),
      onClose: () => {
        log.push('close');
        onClose();
      },
    };
    connection.setHandler(handler);
    return { log, closed };
  }

  it('gives an endpoint to one listener; a second listen finds it in use until the first closes', async () => {
    const network = new MemoryNetwork();
    const first = await network.listen(endpoint);
    assert.ok(first);
    assert.equal(await network.listen(endpoint), null);
    await first.close();
    assert.ok(await network.listen(endpoint));
  });

  it('refuses where nothing listens, and answers as the holder of an endpoint says', async () => {
    const network = new MemoryNetwork();
    const nobody = events(network.connect(endpoint));
    await nobody.closed;
    assert.deepEqual(nobody.log, ['error ECONNREFUSED', 'close']);

    network.hold(endpoint, 'reset', 1);
    assert.equal(await network.listen(endpoint), null, 'a held endpoint is in use');
    const reset = events(network.connect(endpoint));
    await reset.closed;
    assert.deepEqual(reset.log, ['connect', 'error ECONNRESET', 'close']);
    assert.ok(await network.listen(endpoint), 'the hold ends after its connections');

    network.hold({ kind: 'tcp', port: 2 }, (connection) => connection.write(Buffer.from('not onelink')));
    const foreign = events(network.connect({ kind: 'tcp', port: 2 }));
    await until('the foreign bytes', () => foreign.log.length === 2);
    assert.deepEqual(foreign.log, ['connect', 'data not onelink']);
  });
});
