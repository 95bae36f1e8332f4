// How lib/redis/connect.ts merges the options of every ioredis client onelink builds (no server needed).
import assert from 'node:assert/strict';
import { describeTarget, REDIS_DEFAULTS, redisClientPlan, seedNodes, type RedisClientParams, type RedisClientPlan } from '../../lib/redis/connect.js';

const failFast: RedisClientParams = { connectionName: 'store', failFast: true, lazyConnect: true, feature: 'test' };
const patient: RedisClientParams = { connectionName: 'registry', failFast: false, lazyConnect: false, feature: 'test' };

function singleServer(plan: RedisClientPlan): Extract<RedisClientPlan, { kind: 'redis' }> {
  assert.equal(plan.kind, 'redis');
  return plan as Extract<RedisClientPlan, { kind: 'redis' }>;
}

describe('redis client options', () => {
  it('a fail-fast single-server client gets every safety default, the default address and the name', () => {
    const plan = redisClientPlan({ redis: {} }, failFast);
    assert.equal(plan.kind, 'redis');
    assert.equal(plan.url, undefined);
    assert.deepEqual(plan.options, { ...REDIS_DEFAULTS.failFast, connectionName: 'store', host: '127.0.0.1', port: 6379, lazyConnect: true });
  });

  it("the user's options override the defaults, but not lazyConnect, which the caller's code relies on", () => {
    const plan = singleServer(redisClientPlan({ redis: { commandTimeout: 100, connectionName: 'mine', host: '10.0.0.1', lazyConnect: false } }, failFast));
    assert.equal(plan.options.commandTimeout, 100);
    assert.equal(plan.options.connectionName, 'mine');
    assert.equal(plan.options.host, '10.0.0.1');
    assert.equal(plan.options.lazyConnect, true);
    assert.equal(plan.options.enableOfflineQueue, false);
  });

  it('with a URL, no default host or port hides the parts of the URL', () => {
    const plan = singleServer(redisClientPlan({ redis: { url: 'redis://10.0.0.2:6380/2', db: 3 } }, failFast));
    assert.equal(plan.url, 'redis://10.0.0.2:6380/2');
    assert.equal('host' in plan.options, false);
    assert.equal('port' in plan.options, false);
    assert.equal(plan.options.db, 3);
  });

  it('a client that is not fail-fast keeps ioredis\'s own queueing and retries', () => {
    const plan = redisClientPlan({ redis: { url: 'redis://127.0.0.1:7000', password: 'x' } }, patient);
    assert.deepEqual(plan.options, { connectionName: 'registry', password: 'x', lazyConnect: false });
  });

  it('a fail-fast cluster refuses commands while not ready, but its node connections keep their offline queue', () => {
    const plan = redisClientPlan({ cluster: { nodes: ['10.0.0.1:7000', { host: '10.0.0.2', port: 7001 }], options: { slotsRefreshTimeout: 50, redisOptions: { password: 'x' } } } }, failFast);
    assert.equal(plan.kind, 'cluster');
    assert.deepEqual(plan.kind === 'cluster' && plan.nodes, [{ host: '10.0.0.1', port: 7000 }, { host: '10.0.0.2', port: 7001 }]);
    const { enableOfflineQueue: _queue, ...nodeSafety } = REDIS_DEFAULTS.failFast;
    assert.deepEqual(plan.options, {
      enableOfflineQueue: false,
      enableReadyCheck: true,
      slotsRefreshTimeout: 50,
      lazyConnect: true,
      redisOptions: { ...nodeSafety, connectionName: 'store', password: 'x' },
    });
  });

  it('a cluster that is not fail-fast only gets the connection name on its nodes', () => {
    const plan = redisClientPlan({ cluster: { nodes: ['h:1'] } }, patient);
    assert.deepEqual(plan.options, { lazyConnect: false, redisOptions: { connectionName: 'registry' } });
  });

  it('seed nodes keep IPv6 hosts whole, and targets are described for error messages', () => {
    assert.deepEqual(seedNodes(['::1:7000']), [{ host: '::1', port: 7000 }]);
    assert.equal(describeTarget({ cluster: { nodes: ['a:1', { host: 'b', port: 2 }] } }), 'Redis Cluster a:1,b:2');
    assert.equal(describeTarget({ redis: { url: 'redis://x:1' } }), 'redis://x:1');
    assert.equal(describeTarget({ redis: {} }), 'redis://127.0.0.1:6379');
  });
});
