// Express with sessions in every node:cluster worker; the sessions live in one store held by the
// leader worker, which keeps the only connection to Redis/Memcached.
//
//   SESSION_BACKEND=redis REDIS_URL=redis://127.0.0.1:6379 npx tsx examples/session-express.ts
//   SESSION_BACKEND=memcached MEMCACHED_SERVERS=127.0.0.1:11211 npx tsx examples/session-express.ts
//   npx tsx examples/session-express.ts        (memory: lost when the leader dies)
//
// then: curl -c jar -X POST localhost:3000/login/ada; curl -b jar localhost:3000/me (repeat: any worker answers)
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import express from 'express';
import session from 'express-session';
import { SharedSessionStore, type SharedSessionStoreOptions } from '../lib/session/index.js';
import { closeOnSignals } from '../lib/index.js';

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

const WORKERS = Number(process.env.WORKERS ?? Math.min(4, availableParallelism()));
const PORT = Number(process.env.PORT ?? 3000);

if (cluster.isPrimary) {
  let stopping = false;
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(0);
      return;
    }
    console.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
  // A worker whose primary exits dies at once: the primary asks every worker to stop, then waits for them.
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.send('shutdown');
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
} else {
  const backend = (process.env.SESSION_BACKEND ?? 'memory') as NonNullable<SharedSessionStoreOptions['backend']>;
  const store = new SharedSessionStore({
    backend,
    redis: { url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    memcached: { servers: process.env.MEMCACHED_SERVERS ?? '127.0.0.1:11211' },
    onelink: { name: 'example-sessions' },
  });

  const app = express();
  app.use(session({ store, secret: process.env.SESSION_SECRET ?? 'change me', resave: false, saveUninitialized: false, cookie: { maxAge: 3_600_000 } }));
  app.post('/login/:user', (req, res, next) => {
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.user = req.params.user;
      res.json({ worker: process.pid, leader: store.isLeader, user: req.session.user });
    });
  });
  app.get('/me', (req, res) => res.json({ worker: process.pid, leader: store.isLeader, user: req.session.user ?? null }));

  try {
    await store.ready();
  } catch (err) {
    console.error(`session store failed: ${(err as Error).message}`);
    process.exit(1);
  }
  const server = app.listen(PORT, () => console.log(`worker ${process.pid} (${store.isLeader ? 'leader' : 'follower'}) serves :${PORT} with ${backend} sessions`));
  // On SIGINT/SIGTERM: finish the requests in flight, then leave, so that the leader hands over
  // (memory: with its sessions) or closes its connection cleanly.
  closeOnSignals({ server, clients: [store], message: 'shutdown' });
}
