// npm start: examples/http-app.ts in one node:cluster worker per core (at least 2), an upstream
// service they share one connection to, and a browser page showing who answers and who leads.
//
//   npm start                                     (or: npx tsx examples/http-demo.ts)
//   PORT=8080 WORKERS=4 npm start
//   REDIS_URL=redis://127.0.0.1:6379 npm start    (sessions in Redis: they survive a killed leader)
//
// Ctrl-C stops every worker gracefully. `kill -HUP <primary pid>` restarts the workers one at a time,
// each replacement listening before the next old worker stops: a rolling restart without a failed request.
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port.js';
import { startUpstream } from './upstream.js';

const WORKERS = Number(process.env.WORKERS ?? Math.max(2, availableParallelism()));
const PORT = Number(process.env.PORT ?? 3000);
/** How long a worker may take to stop before it is killed. */
const STOP_TIMEOUT_MS = 15000;

const upstream = await startUpstream();
const onelinkPort = Number(process.env.ONELINK_PORT ?? (await freePort()));
cluster.setupPrimary({ exec: fileURLToPath(new URL('./http-app.ts', import.meta.url)) });

/** Workers being replaced or stopped on purpose: their exit is not a crash to make up for. */
const leaving = new Set<Worker>();
let stopping = false;

function fork(): Promise<Worker> {
  const worker = cluster.fork({ PORT: String(PORT), ONELINK_PORT: String(onelinkPort), UPSTREAM_PORT: String(upstream.port) });
  worker.on('exit', (code, signal) => {
    if (leaving.delete(worker) || stopping) return;
    console.log(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
    // Not at once, so that a worker that cannot start does not spin; its own exit reports it.
    setTimeout(() => stopping || fork().catch(() => {}), 500);
  });
  return new Promise((resolve, reject) => {
    worker.on('message', (message) => message === 'ready' && resolve(worker));
    worker.once('exit', () => reject(new Error(`worker ${worker.process.pid} exited before listening`)));
  });
}

/** Asks a worker to stop gracefully and waits for its exit; kills it if it takes too long. */
function stop(worker: Worker): Promise<void> {
  leaving.add(worker);
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const killer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_TIMEOUT_MS);
    worker.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    if (worker.isConnected()) worker.send('shutdown');
    else worker.process.kill('SIGTERM');
  });
}

let restarting = false;
async function rollingRestart(): Promise<void> {
  if (restarting || stopping) return;
  restarting = true;
  const old = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !leaving.has(w));
  console.log(`rolling restart of ${old.length} workers`);
  for (const worker of old) {
    if (stopping) break;
    const fresh = await fork();
    console.log(`worker ${fresh.process.pid} replaces ${worker.process.pid}`);
    await stop(worker);
  }
  console.log('rolling restart done');
  restarting = false;
}

async function shutdown(signal: string, exitCode = 0): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping ${Object.keys(cluster.workers ?? {}).length} workers gracefully`);
  await Promise.all(Object.values(cluster.workers ?? {}).map((w) => (w ? stop(w) : undefined)));
  await upstream.close();
  console.log('stopped');
  process.exit(exitCode);
}

process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGHUP', () => void rollingRestart());

console.log(`onelink HTTP demo: ${WORKERS} node:cluster workers, sessions in ${process.env.REDIS_URL ? 'Redis' : "the leader's memory"}`);
try {
  await Promise.all(Array.from({ length: WORKERS }, fork));
} catch (error) {
  console.error((error as Error).message);
  await shutdown('start-up failure', 1);
}
console.log(`
open http://localhost:${PORT}/   (JSON: curl -c jar -b jar http://localhost:${PORT}/api/visit)
upstream connections open: ${upstream.open} (one per machine, held by the leader)
stop the leader: the page's buttons, or curl -X POST http://localhost:${PORT}/leader/stop (or /leader/kill)
Ctrl-C stops; kill -HUP ${process.pid} restarts the workers one at a time`);
