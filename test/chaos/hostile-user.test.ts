import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError, LeaderHandshake } from '../../protocol/auth.js';
import type { HandshakeIdentity } from '../../protocol/auth.js';
import { FrameDecoder, FrameKind, decodeValue, encodeFrame, encodeValue } from '../../protocol/index.js';
import type { Frame } from '../../protocol/index.js';
import { endpointKey, tcpEndpointId } from '../../lib/security/endpoint-key.js';
import { ensureRuntimeDir } from '../../lib/security/runtime-dir.js';
import { OTHER_UID, SKIP_REASON, canSwitchUser, ensureBuilt, runAttacker } from './support/attacker.js';
import { RoguePeer } from './support/rogue-peer.js';

/** A minimal authenticating acceptor: records the frames a peer sends once it has proved the key. */
function acceptor(identity: HandshakeIdentity): { server: Server; received: Frame[]; refused: Error[] } {
  const received: Frame[] = [];
  const refused: Error[] = [];
  const server = createServer((socket) => {
    const handshake = new LeaderHandshake(identity);
    let step = 0;
    const decoder = new FrameDecoder({
      onFrame: (frame) => {
        try {
          if (step === 0) socket.write(handshake.acceptHello(frame).reply);
          else if (step === 1) handshake.acceptAuth(frame);
          else received.push(frame);
          step++;
        } catch (error) {
          refused.push(error as Error);
          socket.destroy();
        }
      },
      onError: () => socket.destroy(),
    });
    socket.on('data', (chunk: Buffer) => decoder.push(chunk));
    socket.on('error', () => {});
  });
  return { server, received, refused };
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('chaos: a hostile process of another OS user', () => {
  let parent = '';
  before(async function () {
    this.timeout(200000);
    await ensureBuilt();
  });
  beforeEach(() => {
    parent = mkdtempSync(join(tmpdir(), 'onelink-chaos-'));
    // Like /tmp: others may traverse to the runtime directory, whose own mode must stop them.
    chmodSync(parent, 0o755);
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it(`runs as uid ${OTHER_UID} and can neither list the runtime directory nor read a key (skipped unless root: ${SKIP_REASON})`, async function () {
    if (!canSwitchUser()) this.skip();
    const runtimeDir = await ensureRuntimeDir(join(parent, 'onelink'));
    const endpointId = tcpEndpointId('127.0.0.1', 7777);
    await endpointKey({ endpointId, runtimeDir, env: {} });
    const result = await runAttacker('read-runtime-dir', { runtimeDir, endpointId });
    assert.deepEqual(result, {
      uid: OTHER_UID,
      gid: OTHER_UID,
      ownRuntimeDir: join(tmpdir(), `onelink-${OTHER_UID}`),
      list: 'EACCES',
      readKey: 'EACCES',
    });
  });

  describe('rogue peer helper', () => {
    const endpointId = tcpEndpointId('127.0.0.1', 7777);
    const key = randomBytes(32);
    let target: ReturnType<typeof acceptor>;
    beforeEach(async () => {
      target = acceptor({ key, endpointId, pid: process.pid });
      await new Promise<void>((resolve) => target.server.listen(0, '127.0.0.1', resolve));
    });
    afterEach(() => new Promise<void>((resolve) => target.server.close(() => resolve())));
    const port = () => (target.server.address() as AddressInfo).port;

    it('with the key, authenticates and its frames reach the leader, the first one in the same write as its proof', async () => {
      const first = encodeFrame(FrameKind.REQUEST, 0, 6, 0, encodeValue({ method: 'first' }), Buffer.alloc(0));
      const peer = await RoguePeer.connect({ port: port() }, { key, endpointId, pid: 4242 }, { after: first });
      assert.equal(peer.leader.pid, process.pid);
      peer.sendFrame(FrameKind.REQUEST, 7, { method: 'anything' }, ['garbage', 1]);
      await until(() => target.received.length === 2);
      assert.deepEqual(target.received.map((frame) => [frame.id, decodeValue(frame.connection)]), [[6, { method: 'first' }], [7, { method: 'anything' }]]);
      assert.deepEqual(target.refused, []);
      peer.destroy();
    });

    it('without the key, it is refused before it can send anything', async () => {
      await assert.rejects(RoguePeer.connect({ port: port() }, { key: randomBytes(32), endpointId, pid: 4242 }), AuthError);
      assert.deepEqual(target.received, []);
    });
  });
});
