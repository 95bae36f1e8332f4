// PM2 runs examples/http-app.ts in cluster mode, and `pm2 reload http-app` restarts it without a failed
// request: PM2 starts each new instance, waits for its 'ready' (sent once it listens), then sends
// SIGINT to an old one, whose closeOnSignals answers the requests in flight, hands the leader's
// sessions over, and exits.
//
//   npx pm2 start examples/ecosystem.config.cjs
//   npx pm2 reload examples/ecosystem.config.cjs    (or: npx pm2 reload http-app)
//   npx pm2 delete http-app
module.exports = {
  apps: [
    {
      name: 'http-app',
      script: 'examples/http-app.mjs', // loads http-app.ts; a compiled app names its .js here
      node_args: '--import tsx',
      exec_mode: 'cluster',
      instances: Number(process.env.INSTANCES ?? 3),
      // The instance sends 'ready' once it listens; PM2 waits for it before stopping an old one.
      wait_ready: true,
      listen_timeout: 30000,
      // Above closeOnSignals' timeout + closeTimeout (5 s each), so PM2 never SIGKILLs a process still closing.
      kill_timeout: 12000,
      env: {
        PORT: process.env.PORT ?? 3000,
        ONELINK_PORT: process.env.ONELINK_PORT ?? 7777,
      },
    },
  ],
};
