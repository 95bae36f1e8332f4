import assert from 'node:assert/strict';
import { missingBinaryHint, RedisServer, MemcachedServer, requireBinary } from '../support/servers.js';

describe('test harness: real servers', () => {
  it('names only the missing binary in the skip hint', () => {
    assert.equal(missingBinaryHint('memcached'), 'memcached is not installed: apt-get install -y memcached');
    assert.equal(missingBinaryHint('redis-server'), 'redis-server is not installed: apt-get install -y redis-server');
  });

  it('starts, restarts and stops a redis-server on a free port', async function () {
    requireBinary(this, 'redis-server');
    const redis = new RedisServer({ persistent: true });
    try {
      await redis.start();
      assert.notEqual(redis.port, 6379);
      assert.equal(await redis.cli('SET', 'k', 'v'), 'OK');
      await redis.restart();
      assert.equal(await redis.cli('GET', 'k'), 'v', 'append-only file keeps data across a restart');
    } finally {
      await redis.dispose();
    }
    assert.equal(redis.running, false);
  });

  it('starts and kills a memcached on a free port', async function () {
    requireBinary(this, 'memcached');
    const mc = new MemcachedServer();
    await mc.start();
    assert.equal(mc.running, true);
    await mc.kill();
    assert.equal(mc.running, false);
  });
});
