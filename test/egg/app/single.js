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
    server.close();
    await app.close();
    process.send({ type: 'closed' });
    process.disconnect();
  });
})().catch((err) => {
  process.send({ type: 'error', message: err.stack || String(err), code: err.code });
  process.exitCode = 1;
  process.disconnect();
});
