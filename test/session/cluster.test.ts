// Real node:cluster workers serving an express app with SharedSessionStore: shared sessions,
// one upstream connection, leader death, and Redis disruptions under load.
import assert from 'node:assert/strict';
import { RedisStore } from '../../lib/stores/index.js';
import { freePort, MemcachedServer, RedisServer, requireBinary } from '../support/servers.js';
import { redisClientCount } from '../stores/redis-clients.js';
import { request } from './fixtures/http.js';
import { WorkerPool } from './fixtures/workers.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(check: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(100);
    }
  }
}

async function poolFor(env: Record<string, string>): Promise<WorkerPool> {
  return new WorkerPool(await freePort(), { ONELINK_PORT: String(await freePort()), ONELINK_NAME: `cluster-test-${env.SESSION_BACKEND}`, ...env });
}

/** Every worker sees the user of this session cookie. */
async function assertUserEverywhere(pool: WorkerPool, cookie: string, user: string): Promise<void> {
  const answers = await pool.visitAll('GET', '/me', cookie);
  for (const [pid, answer] of answers) assert.equal(answer.user, user, `worker ${pid}`);
}

describe('SharedSessionStore under node:cluster, Redis backend', function () {
  this.timeout(60_000);
  const redis = new RedisServer({ persistent: true });
  let pool: WorkerPool;

  before(async function () {
    requireBinary(this, 'redis-server');
    await redis.start();
    pool = await poolFor({ SESSION_BACKEND: 'redis', REDIS_PORT: String(redis.port) });
    await pool.fork(3);
  });
  after(async () => {
    await pool?.killAll();
    await redis.dispose();
  });

  it('shows a login made in one worker in every other, through a single Redis connection however many workers run', async () => {
    const login = await request(pool.httpPort, 'POST', '/login/ada');
    assert.equal(login.status, 200);
    await assertUserEverywhere(pool, login.cookie!, 'ada');
    assert.equal(await redisClientCount(redis), 1);
    await pool.fork(1);
    await assertUserEverywhere(pool, login.cookie!, 'ada');
    assert.equal(pool.workers.size, 4);
    assert.equal(await redisClientCount(redis), 1);
  });

  for (const disruption of ['CLIENT KILL', 'restart'] as const) {
    it(`acknowledges no write it then loses when Redis is disrupted (${disruption}) under load`, async function () {
      const acked = new Map<string, number>();
      const failures: Array<{ status: number; code?: string }> = [];
      let stop = false;
      let n = 0;
      const client = async () => {
        while (!stop) {
          const value = ++n;
          const reply = await request(pool.httpPort, 'POST', `/write/${value}`);
          if (reply.status === 200) acked.set(reply.body.sid, value);
          else {
            failures.push({ status: reply.status, code: reply.body.code });
            await sleep(5);
          }
        }
      };
      const clients = Array.from({ length: 6 }, client);
      await sleep(300);
      const ackedBefore = acked.size;
      if (disruption === 'CLIENT KILL') await redis.cli('CLIENT', 'KILL', 'TYPE', 'normal');
      else await redis.restart();
      const atDisruption = acked.size;
      const deadline = Date.now() + 15_000;
      while (acked.size < atDisruption + 100 && Date.now() < deadline) await sleep(50);
      stop = true;
      await Promise.all(clients);
      console.log(`      ${disruption} through 4 workers: ${acked.size} writes acknowledged, ${failures.length} failed`);
      assert.ok(ackedBefore > 0 && acked.size >= atDisruption + 100, 'writes succeed before and after the disruption');
      if (disruption === 'restart') assert.ok(failures.length > 0, 'writes failed while Redis was down');
      for (const failure of failures) assert.deepEqual(failure, { status: 503, code: 'ERR_ONELINK_STORE_UNAVAILABLE' });
      const check = new RedisStore({ redis: { port: redis.port } });
      try {
        await check.ready();
        for (const [sid, value] of acked) assert.equal((await check.get(sid))?.n, value, `acknowledged session ${sid}`);
      } finally {
        await check.close();
      }
    });
  }

  it('keeps the sessions when the leader is killed, and the new leader reconnects', async () => {
    const login = await request(pool.httpPort, 'POST', '/login/grace');
    const leader = await pool.leaderPid();
    await pool.kill(leader);
    await eventually(() => assertUserEverywhere(pool, login.cookie!, 'grace'), 20_000);
    const newLeader = await pool.leaderPid();
    assert.notEqual(newLeader, leader);
    await eventually(async () => assert.equal(await redisClientCount(redis), 1));
    const again = await request(pool.httpPort, 'POST', '/login/linus');
    assert.equal(again.status, 200);
    await assertUserEverywhere(pool, again.cookie!, 'linus');
  });
});

describe('SharedSessionStore under node:cluster, Memcached backend', function () {
  this.timeout(60_000);
  const memcached = new MemcachedServer();
  let pool: WorkerPool;

  before(async function () {
    requireBinary(this, 'memcached');
    await memcached.start();
    pool = await poolFor({ SESSION_BACKEND: 'memcached', MEMCACHED_SERVERS: memcached.servers });
    await pool.fork(3);
  });
  after(async () => {
    await pool?.killAll();
    await memcached.dispose();
  });

  it('shares sessions between workers and keeps them when the leader is killed', async () => {
    const login = await request(pool.httpPort, 'POST', '/login/ada');
    await assertUserEverywhere(pool, login.cookie!, 'ada');
    await pool.kill(await pool.leaderPid());
    await eventually(() => assertUserEverywhere(pool, login.cookie!, 'ada'), 20_000);
    const again = await request(pool.httpPort, 'POST', '/login/barbara');
    await assertUserEverywhere(pool, again.cookie!, 'barbara');
  });
});

describe('SharedSessionStore under node:cluster, memory backend', function () {
  this.timeout(60_000);
  let pool: WorkerPool;

  before(async () => {
    pool = await poolFor({ SESSION_BACKEND: 'memory' });
    await pool.fork(3);
  });
  after(() => pool?.killAll());

  it('hands the sessions to the next leader when the leader closes gracefully, and loses them when it is killed', async () => {
    const login = await request(pool.httpPort, 'POST', '/login/ada');
    await assertUserEverywhere(pool, login.cookie!, 'ada');
    const first = await pool.leaderPid();
    await pool.closeGracefully(first);
    await eventually(() => assertUserEverywhere(pool, login.cookie!, 'ada'), 20_000);
    const second = await pool.leaderPid();
    assert.notEqual(second, first);
    // A crash gives no chance to hand anything over: this is why the README points to Redis or Memcached.
    await pool.kill(second);
    await eventually(async () => {
      const answers = await pool.visitAll('GET', '/me', login.cookie);
      for (const answer of answers.values()) assert.equal(answer.user, null);
    }, 20_000);
  });
});
