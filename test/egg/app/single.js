'use strict';
// egg's single-process mode: agent and app in this one process, serving HTTP on the port given.
const http = require('http');
const { start } = require('egg');

(async () => {
  const app = await start({ baseDir: __dirname });
  const server = http.createServer(app.callback());
  server.listen(Number(process.argv[2]), '127.0.0.1', () => process.send({ type: 'listening', pid: process.pid }));
  process.on('message', async (msg) => {
    if (msg !== 'close') return;
    await new Promise((resolve) => server.close(resolve));
    await app.close();
    // What the cluster clients would hold: their own closed state, and sockets (single mode opens none).
    const clients = [ app, app.agent ].flatMap((egg) => [ egg.dataClient, egg.configApi._client ]);
    const sockets = process._getActiveHandles().filter((handle) => handle.listening || handle.remotePort !== undefined).length;
    process.send({ type: 'closed', clientsClosed: clients.every((client) => client.isClosed), sockets });
    process.disconnect();
  });
})().catch((err) => {
  process.send({ type: 'error', message: err.stack || String(err), code: err.code });
  process.exitCode = 1;
  process.disconnect();
});
