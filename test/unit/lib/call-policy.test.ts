// The failover policy of a call in flight, on a link to a leader that never answers and is then lost.
import assert from 'node:assert/strict';
import { sendCall, type CallRouter } from '../../../lib/call-policy.js';
import type { LocalChannel } from '../../../lib/channel.js';
import { LeaderLostError, ResponseTimeoutError } from '../../../lib/errors.js';
import { LeaderLink } from '../../../lib/follower/link.js';
import type { Endpoint } from '../../../lib/transport/connection.js';
import { MemoryNetwork } from '../../../lib/transport/memory.js';
import { channelOf, muteLeader, testIdentity, transportOptions } from './helpers.js';

class Plain {
  async get(): Promise<number> {
    return 1;
  }
}

const endpoint: Endpoint = { kind: 'tcp', port: 1 };

/** Stands for the agent: records the calls routed again after a failover. */
class Router implements CallRouter {
  readonly calls: Array<{ method: string; idempotent: boolean; oneway: boolean }> = [];
  invoke(_channel: LocalChannel, method: string, _args: unknown[], idempotent: boolean, oneway: boolean): Promise<unknown> {
    this.calls.push({ method, idempotent, oneway });
    return Promise.resolve('from the next leader');
  }
}

describe('call policy: a call whose leader is lost', () => {
  let link: LeaderLink;
  let router: Router;
  let channel: LocalChannel;

  beforeEach(async () => {
    const network = new MemoryNetwork();
    muteLeader(network, endpoint);
    link = await LeaderLink.connect(network, endpoint, testIdentity, { ...transportOptions, connectTimeout: 1000 }, { onPush() {}, onHandover() {}, onLost() {} });
    router = new Router();
    channel = channelOf(Plain, { responseTimeout: 5000 });
  });

  afterEach(() => link.destroy());

  it('sends an idempotent call again, through the router, to the next leader', async () => {
    const call = sendCall(router, channel, link, 'get', [1], true, false);
    link.destroy();
    assert.equal(await call, 'from the next leader');
    assert.deepEqual(router.calls, [{ method: 'get', idempotent: true, oneway: false }]);
  });

  it('fails any other call with LeaderLostError: it may or may not have run', async () => {
    const call = sendCall(router, channel, link, 'set', [1], false, false);
    link.destroy();
    await assert.rejects(call, (err: Error) => err instanceof LeaderLostError && /"set"/.test(err.message));
    assert.deepEqual(router.calls, []);
  });

  it('leaves a response timeout to the caller, idempotent or not', async () => {
    const hasty = channelOf(Plain, { name: 'hasty', responseTimeout: 20 });
    await assert.rejects(sendCall(router, hasty, link, 'get', [], true, false), ResponseTimeoutError);
    assert.deepEqual(router.calls, []);
  });

  it('routes a oneway call again when its link has closed before it was sent', async () => {
    link.destroy();
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await sendCall(router, channel, link, 'log', ['x'], false, true), 'from the next leader');
    assert.deepEqual(router.calls, [{ method: 'log', idempotent: false, oneway: true }]);
  });
});
