// An HTTP front process that picks backends registered by worker processes.
//   npx tsx examples/registry-front.ts            (memory backend: everything on this machine)
//   REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/registry-front.ts   (shared between machines)
// Starts two "worker" processes on two ports, each registering itself as a "backend"; the
// front forwards each request to the backend pick() chooses and reports the latency back.
import { fork } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { createRegistry } from '../lib/registry/index.js';

const redisUrl = process.env.REDIS_URL;
const registry = createRegistry({
  backend: redisUrl ? 'redis' : 'memory',
  redis: redisUrl ? { url: redisUrl } : undefined,
  balancer: { strategy: 'least-latency' },
  cluster: { port: Number(process.env.REGISTRY_PORT ?? 7788) },
});

async function worker(): Promise<void> {
  await registry.ready();
  const server = http.createServer((req, res) => res.end(`hello from worker ${process.pid}\n`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const me = await registry.register({ type: 'backend', server, healthCheck: { seconds: 2, url: '/' } });
  console.log(`worker ${process.pid} registered ${me.id}`);
  process.on('SIGTERM', () => void registry.close().then(() => process.exit(0)));
}

async function front(): Promise<void> {
  await registry.ready();
  const workers = [fork(fileURLToPath(import.meta.url), ['worker'], { execArgv: ['--import', 'tsx'] }), fork(fileURLToPath(import.meta.url), ['worker'], { execArgv: ['--import', 'tsx'] })];
  registry.watch('backend', (event) => console.log(`backend ${event.type}: ${event.server.id}`));

  const front = http.createServer(async (req, res) => {
    let backend;
    try {
      backend = await registry.pick('backend', { key: req.headers['x-user'] as string | undefined });
    } catch (err) {
      res.writeHead(503).end(`${(err as Error).message}\n`);
      return;
    }
    const started = Date.now();
    const upstream = http.get(`http://${backend.address}${req.url}`, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
      answer.on('end', () => void registry.report(backend.id, { latencyMs: Date.now() - started, ok: (answer.statusCode ?? 500) < 500 }));
    });
    upstream.on('error', () => {
      void registry.report(backend.id, { latencyMs: Date.now() - started, ok: false });
      res.writeHead(502).end();
    });
  });
  front.listen(8080, '127.0.0.1', () => console.log('front on http://127.0.0.1:8080 — try: curl http://127.0.0.1:8080/'));

  const stop = async () => {
    for (const w of workers) w.kill('SIGTERM');
    front.close();
    await registry.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

if (process.argv[2] === 'worker') void worker(); else void front();
