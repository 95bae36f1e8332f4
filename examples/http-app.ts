// An express 5 app as you would run it in several processes: sessions in a SharedSessionStore (the
// leader process holds them, every process reads and writes them), one upstream connection per
// machine, and a graceful stop that loses neither a request nor a session.
//
// It runs as a worker of examples/http-demo.ts (npm start), or under PM2:
//   npx pm2 start examples/ecosystem.config.cjs && npx pm2 reload http-app
//
// Environment: PORT (3000), ONELINK_PORT (7777), REDIS_URL (sessions in Redis instead of the
// leader's memory), UPSTREAM_PORT (the demo's upstream service; without it, no upstream client).
import express from 'express';
import session from 'express-session';
import { cluster as onelink } from '../lib/index.js';
import { SharedSessionStore } from '../lib/session/index.js';
import { closeOnSignals } from '../lib/index.js';
import { UpstreamClient } from './upstream-client.js';

declare module 'express-session' {
  interface SessionData {
    visits?: number;
  }
}

const PORT = Number(process.env.PORT ?? 3000);
const ONELINK_PORT = Number(process.env.ONELINK_PORT ?? 7777);
const REDIS_URL = process.env.REDIS_URL;
// The demo prints its own line when a worker takes over; onelink's warnings (a lost leader, a dropped
// follower) are the expected steps of every failover and stop here.
const quiet = { info() {}, warn() {}, error: console.error };

const store = new SharedSessionStore({
  backend: REDIS_URL ? 'redis' : 'memory',
  redis: REDIS_URL ? { url: REDIS_URL } : undefined,
  onelink: { port: ONELINK_PORT, logger: quiet },
});
const upstream = process.env.UPSTREAM_PORT
  ? onelink(UpstreamClient, { port: ONELINK_PORT, logger: quiet })
      .delegate('connections', { to: 'invoke', idempotent: true })
      .create({ port: Number(process.env.UPSTREAM_PORT) })
  : null;

/** What the page and /api/visit show: who answered, who leads, what the upstream holds. */
async function status(visits: number) {
  const held = upstream ? await upstream.connections() : null;
  return {
    visits,
    worker: process.pid,
    workerIsLeader: store.isLeader,
    // The leader is the process holding the upstream connection; without an upstream, only the leader knows it leads.
    leader: held ? (held[0] ?? null) : store.isLeader ? process.pid : null,
    upstreamConnections: held ? held.length : null,
    sessions: REDIS_URL ? 'redis' : 'memory',
  };
}

const app = express();
app.use(session({ store, secret: process.env.SESSION_SECRET ?? 'onelink demo', resave: false, saveUninitialized: false }));

app.get('/api/visit', async (req, res) => {
  req.session.visits = (req.session.visits ?? 0) + 1;
  res.json(await status(req.session.visits));
});

app.get('/', async (req, res) => {
  req.session.visits = (req.session.visits ?? 0) + 1;
  res.type('html').send(page(await status(req.session.visits)));
});

// Stops the leader, wherever it runs: SIGTERM hands over gracefully, SIGKILL is a crash.
app.post('/leader/:how', async (req, res) => {
  const { leader } = await status(req.session.visits ?? 0);
  if (req.params.how !== 'stop' && req.params.how !== 'kill') {
    res.status(404).json({ error: 'POST /leader/stop or /leader/kill' });
    return;
  }
  if (!leader) {
    res.status(409).json({ error: 'the leader is not known here (no upstream client)' });
    return;
  }
  const signal = req.params.how === 'kill' ? 'SIGKILL' : 'SIGTERM';
  res.on('finish', () => process.kill(leader, signal));
  if (req.accepts(['json', 'html']) === 'html') res.redirect(303, '/'); // the page's buttons
  else res.json({ signalled: leader, signal });
});

await store.ready();
await upstream?.ready();
const server = app.listen(PORT, () => {
  console.log(`worker ${process.pid} listening on :${PORT}${store.isLeader ? ' (leader)' : ''}`);
  process.send?.('ready'); // PM2's wait_ready, and the demo's rolling restart, wait for this
});

// The demo's primary asks its workers with a message rather than a signal.
closeOnSignals({ server, clients: upstream ? [store, upstream] : [store], message: 'shutdown' });

// Says when this process takes over, so a failover can be watched.
let wasLeader = store.isLeader;
setInterval(() => {
  if (store.isLeader && !wasLeader) console.log(`worker ${process.pid} is now the leader`);
  wasLeader = store.isLeader;
}, 200).unref();

function page(s: Awaited<ReturnType<typeof status>>): string {
  return `<!doctype html><meta charset="utf-8"><title>onelink demo</title>
<body style="font: 16px system-ui; max-width: 42em; margin: 2em auto">
<h1>onelink demo</h1>
<p>Visit <b>${s.visits}</b> of this session (stored in the leader's ${s.sessions} store, shared by every worker).</p>
<p>Answered by worker <b>${s.worker}</b>${s.workerIsLeader ? ', the leader' : ''}. Leader: <b>${s.leader ?? 'unknown'}</b>.
Upstream connections on the machine: <b>${s.upstreamConnections ?? 'no upstream'}</b>.</p>
<p><a href="/">Reload</a>: another worker may answer; the count goes on.</p>
<form method="post" action="/leader/stop"><button>Stop the leader gracefully</button> (SIGTERM: it answers its requests,
hands the sessions to the next leader, and exits; the count goes on)</form>
<form method="post" action="/leader/kill"><button>Kill the leader</button> (SIGKILL: a follower takes over within
milliseconds; sessions held in memory die with it, those in Redis do not)</form>`;
}
