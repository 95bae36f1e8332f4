import assert from 'node:assert/strict';
import { RedisStore } from '../../lib/stores/index.js';
import { respCommand, requireBinary } from '../support/servers.js';
import { closedAfterEachTest } from './closed-after-each.js';
import { storeContract } from './contract.js';
import { LocalRedisCluster } from '../support/redis-cluster.js';

describe('RedisStore on a Redis Cluster', function () {
  this.timeout(30_000);
  const cluster = new LocalRedisCluster();
  const closeAfterTest = closedAfterEachTest();
  let counter = 0;
  const open = async (options: ConstructorParameters<typeof RedisStore>[0] = {}) => {
    const store = closeAfterTest(new RedisStore({ cluster: { nodes: cluster.nodes }, prefix: `c${++counter}:`, ...options }));
    await store.ready();
    return store;
  };

  before(async function () {
    requireBinary(this, 'redis-server');
    await cluster.start();
  });
  after(() => cluster.stop());

  storeContract({ backend: 'redis cluster', lists: true, create: (options) => open(options) });

  it('spreads sessions over every master and still lists, reads and clears them all', async () => {
    const store = await open({ scanCount: 5 });
    for (let i = 0; i < 60; i++) await store.set(`spread-${i}`, { i });
    const perNode = await Promise.all(cluster.ports.map((port) => respCommand(port, ['DBSIZE'])));
    assert.ok(perNode.every((n) => Number(n) > 0), `every master holds sessions: ${perNode.join(', ')}`);
    assert.equal(await store.length(), 60);
    const all = await store.all();
    assert.equal(Object.keys(all).length, 60);
    assert.deepEqual(all['spread-59'], { i: 59 });
    await store.clear();
    assert.equal(await store.length(), 0);
  });
});
