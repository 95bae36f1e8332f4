// Measures, against a Redis you point it at: the Redis connections N processes open with and
// without onelink, and the latency of a session set+get through the leader versus direct calls.
//
//   REDIS_PORT=6380 npx tsx examples/session-measure.ts [processes=4] [iterations=2000]
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { SessionData as ExpressSessionData } from 'express-session';
import { Redis } from 'ioredis';
import { SharedSessionStore } from '../lib/session/index.js';
import { RedisStore } from '../lib/stores/index.js';

const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
const ONELINK_PORT = Number(process.env.ONELINK_PORT ?? 7790);
const quiet = { info() {}, warn() {}, error: console.error };

function sharedStore(singleMode: boolean): SharedSessionStore {
  return new SharedSessionStore({
    backend: 'redis',
    redis: { port: REDIS_PORT },
    prefix: 'measure:',
    onelink: { name: 'session-measure', port: ONELINK_PORT, singleMode, logger: quiet },
  });
}

async function child(): Promise<void> {
  // A process holding a session store until told to stop; with singleMode each one connects by itself.
  const store = sharedStore(process.env.SINGLE_MODE === '1');
  await store.ready();
  await promisify(store.set.bind(store))(`child-${process.pid}`, { cookie: { originalMaxAge: 60_000 }, pid: process.pid } as unknown as ExpressSessionData);
  process.send?.('ready');
  process.on('message', async () => {
    await store.close();
    process.exit(0);
  });
}

async function main(): Promise<void> {
  const processes = Number(process.argv[2] ?? 4);
  const iterations = Number(process.argv[3] ?? 2000);
  const admin = new Redis(REDIS_PORT, '127.0.0.1');

  const connections = async () => (String(await admin.client('LIST')).trim().split('\n').length - 1);
  const startChildren = async (count: number, singleMode: boolean): Promise<ChildProcess[]> => {
    const children: ChildProcess[] = [];
    for (let i = 0; i < count; i++) {
      const child = fork(fileURLToPath(import.meta.url), ['child'], { execArgv: ['--import', 'tsx'], env: { ...process.env, SINGLE_MODE: singleMode ? '1' : '0' } });
      await new Promise((r) => child.once('message', r));
      children.push(child);
    }
    return children;
  };
  const stopChildren = (children: ChildProcess[]) => Promise.all(children.map((c) => new Promise((r) => { c.once('exit', r); c.send('stop'); })));

  const idle = await connections();
  const separate = await startChildren(processes, true);
  const withoutOnelink = (await connections()) - idle;
  await stopChildren(separate);
  const shared = await startChildren(processes, false);
  const withOnelink = (await connections()) - idle;
  console.log(`Redis connections of ${processes} processes: ${withoutOnelink} without onelink (one store each), ${withOnelink} with onelink`);

  // Latency, measured in this process, which is a follower: the leader is the first child.
  const follower = sharedStore(false);
  await follower.ready();
  const direct = new RedisStore({ redis: { port: REDIS_PORT }, prefix: 'measure:' });
  await direct.ready();
  const raw = new Redis(REDIS_PORT, '127.0.0.1');
  const session = { cookie: { originalMaxAge: 3_600_000, expires: new Date(Date.now() + 3_600_000), httpOnly: true, path: '/' }, user: { id: 42, name: 'ada', roles: ['admin'] }, visits: 3 };
  const encoded = JSON.stringify(session);

  const measure = async (label: string, roundTrip: (i: number) => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await roundTrip(i);
    const samples: number[] = [];
    for (let i = 0; i < iterations; i++) {
      const start = process.hrtime.bigint();
      await roundTrip(i);
      samples.push(Number(process.hrtime.bigint() - start) / 1000);
    }
    samples.sort((a, b) => a - b);
    const at = (q: number) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(0);
    console.log(`${label.padEnd(50)} p50 ${at(0.5).padStart(5)} µs   p99 ${at(0.99).padStart(6)} µs`);
  };
  const set = promisify(follower.set.bind(follower));
  const get = promisify(follower.get.bind(follower));
  console.log(`session set+get, ${iterations} sequential round trips each:`);
  await measure('direct ioredis SET PX + GET (JSON)', async (i) => { await raw.set(`measure:raw-${i % 100}`, encoded, 'PX', 3_600_000); await raw.get(`measure:raw-${i % 100}`); });
  await measure('RedisStore in this process (no leader)', async (i) => { await direct.set(`in-${i % 100}`, session); await direct.get(`in-${i % 100}`); });
  await measure('SharedSessionStore, follower -> leader -> Redis', async (i) => { await set(`via-${i % 100}`, session as unknown as ExpressSessionData); await get(`via-${i % 100}`); });

  await follower.close();
  await direct.clear();
  await direct.close();
  raw.disconnect();
  await stopChildren(shared);
  admin.disconnect();
}

(process.argv[2] === 'child' ? child() : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
