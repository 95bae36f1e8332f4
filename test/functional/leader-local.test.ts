// A call made in the leader process behaves as a follower's: it goes through the same encoding, so
// arguments and results are copies, a value that cannot be sent fails alike, and a oneway call
// resolves undefined. The leader here is this process, holding a real port.
import assert from 'node:assert/strict';
import { cluster, EncodeError } from '../../lib/index.js';
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
});
