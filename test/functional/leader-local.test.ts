// A call made in the leader process behaves as a follower's: it goes through the same encoding, so
// arguments and results are copies, a value that cannot be sent fails alike, and a oneway call
// resolves undefined. The leader here is this process, holding a real port.
import assert from 'node:assert/strict';
import { ClientClosedError, cluster, EncodeError } from '../../lib/index.js';
import { EchoClient } from '../fixtures/echo-client.js';
import { freePort } from '../support/servers.js';

describe('calls in the leader process', () => {
  let port: number;
  const silent = { info() {}, warn() {}, error() {}, debug() {} };

  beforeEach(async () => {
    port = await freePort();
  });

  it('passes copies of arguments and results, never the caller\'s or the DataClient\'s objects', async () => {
    const client = cluster(EchoClient, { name: 'local-copies', port, logger: silent }).create({});
    try {
      await client.ready();
      assert.equal(client.isClusterClientLeader, true);
      const arg = { list: [1, 2], nested: { s: 'x' } };
      const result = await client.echo(arg);
      assert.deepEqual(result, arg);
      assert.notEqual(result, arg);
      assert.notEqual(result.nested, arg.nested);
      await client.publish({ key: 'k' });
      const published = await client.publications();
      published.push('changed by the caller');
      assert.deepEqual(await client.publications(), [{ key: 'k' }], 'the DataClient\'s state is not the caller\'s to change');
      const bytes = Buffer.from('abc');
      const echoed = await client.echo(bytes);
      assert.ok(Buffer.isBuffer(echoed));
      assert.deepEqual(echoed, bytes);
      assert.notEqual(echoed, bytes);
    } finally {
      await client.close();
    }
  });

  it('fails a value that cannot be sent with EncodeError, as in a follower', async () => {
    const client = cluster(EchoClient, { name: 'local-encode', port, logger: silent }).create({});
    try {
      await client.ready();
      await assert.rejects(client.echo({ f: () => 1 }), (err: unknown) => err instanceof EncodeError && err.code === 'ERR_ONELINK_ENCODE');
    } finally {
      await client.close();
    }
  });

  it('resolves a oneway call with undefined, as in a follower', async () => {
    const client = cluster(EchoClient, { name: 'local-oneway', port, logger: silent }).delegate('echo', 'invokeOneway').create({});
    try {
      await client.ready();
      assert.equal(await client.echo('value'), undefined);
    } finally {
      await client.close();
    }
  });

  it('does not start a call whose client closed while it waited for its turn: ClientClosedError', async () => {
    class Counting {
      static runs = 0;
      async touch(): Promise<number> {
        return ++Counting.runs;
      }
    }
    const client = cluster(Counting, { name: 'local-cancel', port, logger: silent }).create();
    await client.ready();
    // Both calls wait for the next check phase; the client closes before it comes.
    const calls = [client.touch(), client.touch()].map((call) => call.then(() => 'ran', (err: unknown) => err));
    await client.close();
    for (const outcome of await Promise.all(calls)) {
      assert.ok(outcome instanceof ClientClosedError, String(outcome));
    }
    assert.equal(Counting.runs, 0, 'a cancelled call reached the DataClient');
  });
});
