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

declare module 'express-session' {
  interface SessionData {
    user?: string;
  }
}

const WORKERS = Number(process.env.WORKERS ?? Math.min(4, availableParallelism()));
const PORT = Number(process.env.PORT ?? 3000);

if (cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    console.log(`worker ${worker.process.pid} exited (${signal ?? code}); starting another`);
    cluster.fork();
  });
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

  store.ready().then(
    () => app.listen(PORT, () => console.log(`worker ${process.pid} (${store.isLeader ? 'leader' : 'follower'}) serves :${PORT} with ${backend} sessions`)),
    (err: Error) => {
      console.error(`session store failed: ${err.message}`);
      process.exit(1);
    },
  );
  process.on('SIGTERM', async () => {
    // Leaving gracefully lets the leader hand over (memory) or close its connection cleanly.
    await store.close();
    process.exit(0);
  });
}
