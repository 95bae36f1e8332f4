// npm run demo:failover (or: npx tsx examples/demo.ts): three node:cluster workers share ONE upstream
// connection through onelink, then the leader is killed and a follower takes over without a failed call.
import cluster from 'node:cluster';
import { cluster as onelink } from '../lib/index.js';
import { freePort } from './free-port.js';
import { startUpstream } from './upstream.js';
import { UpstreamClient } from './upstream-client.js';

const WORKERS = 3;

type WorkerReport =
  | { type: 'role'; leader: boolean; pid: number }
  | { type: 'stats'; pid: number; ok: number; failed: number; ticks: number };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function primary(): Promise<void> {
  const upstream = await startUpstream();
  const port = await freePort();
  console.log(`upstream service on 127.0.0.1:${upstream.port}; onelink port 127.0.0.1:${port}`);
  console.log(`starting ${WORKERS} workers; each creates the same client and calls it every 10 ms\n`);

  const roles = new Map<number, boolean>();
  const stats = new Map<number, Extract<WorkerReport, { type: 'stats' }>>();
  let leaderSince = 0;
  const workers = Array.from({ length: WORKERS }, () =>
    cluster.fork({ ONELINK_DEMO_PORT: String(port), ONELINK_DEMO_UPSTREAM: String(upstream.port) }),
  );
  for (const worker of workers) {
    worker.on('message', (report: WorkerReport) => {
      if (report.type === 'role') {
        roles.set(report.pid, report.leader);
        if (report.leader) leaderSince = Date.now();
      } else {
        stats.set(report.pid, report);
      }
    });
  }
  const leaderPid = () => [...roles].find(([, leader]) => leader)?.[0];
  const until = async (what: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!what() && Date.now() < end) await sleep(5);
    return what();
  };

  await until(() => roles.size === WORKERS && leaderPid() !== undefined, 60000); // a loaded machine starts workers slowly
  await sleep(500);
  const first = leaderPid()!;
  console.log(`leader: worker pid ${first}; followers: ${[...roles.keys()].filter((p) => p !== first).join(', ')}`);
  console.log(`upstream connections open: ${upstream.open} (one per machine, not one per worker)\n`);

  console.log(`kill -9 the leader (pid ${first}) while every worker keeps calling...`);
  const killedAt = Date.now();
  workers.find((w) => w.process.pid === first)!.process.kill('SIGKILL');
  roles.delete(first);
  await until(() => leaderPid() !== undefined && leaderSince > killedAt, 10000);
  const second = leaderPid();
  console.log(`new leader: worker pid ${second}, ${leaderSince - killedAt} ms after the kill (the followers elected it among themselves)`);
  await sleep(700);
  console.log(`upstream connections open: ${upstream.open}; ever opened: ${upstream.total} (the dead leader's, then the new leader's)\n`);

  for (const worker of workers) if (worker.isConnected()) worker.send('report');
  await until(() => stats.size === WORKERS - 1, 5000);
  for (const s of stats.values()) {
    console.log(`worker ${s.pid}: ${s.ok} calls succeeded, ${s.failed} failed, ${s.ticks} ticks received`);
  }
  const failed = [...stats.values()].reduce((sum, s) => sum + s.failed, 0);
  console.log(failed === 0 ? '\nno call failed across the failover: the query method is delegated as idempotent.' : `\n${failed} calls failed`);

  for (const worker of workers) if (worker.isConnected()) worker.kill();
  await until(() => workers.every((w) => w.isDead()), 5000);
  await upstream.close();
  process.exitCode = failed === 0 ? 0 : 1;
}

async function worker(): Promise<void> {
  const quiet = { info() {}, warn() {}, error: console.error };
  const client = onelink(UpstreamClient, { port: Number(process.env.ONELINK_DEMO_PORT), logger: quiet })
    .delegate('query', { to: 'invoke', idempotent: true })
    .create({ port: Number(process.env.ONELINK_DEMO_UPSTREAM) });
  await client.ready();

  let ok = 0;
  let failed = 0;
  let ticks = 0;
  client.subscribe({ topic: 'ticks' }, () => ticks++);

  let wasLeader: boolean | null = null;
  setInterval(() => {
    if (client.isClusterClientLeader !== wasLeader) {
      wasLeader = client.isClusterClientLeader;
      process.send!({ type: 'role', leader: wasLeader, pid: process.pid });
    }
  }, 5);
  process.on('message', () => process.send!({ type: 'stats', pid: process.pid, ok, failed, ticks }));

  for (let n = 0; ; n++) {
    try {
      if ((await client.query(n)) === n * 2) ok++;
      else failed++;
    } catch {
      failed++;
    }
    await sleep(10);
  }
}

if (cluster.isPrimary) await primary();
else await worker();
