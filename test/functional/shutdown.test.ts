// closeOnSignals in a real process: a signal stops the server, lets the request in flight finish,
// closes the clients after it, and exits; a second signal or the timeout cuts it short.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { LineProcess, request } from '../support/http.js';

const APP = fileURLToPath(new URL('../fixtures/shutdown-app.ts', import.meta.url));

async function startApp(env: NodeJS.ProcessEnv = {}): Promise<{ app: LineProcess; url: string }> {
  const app = new LineProcess(process.execPath, ['--import', 'tsx', APP], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  const [, port] = await app.line(/^listening (\d+)$/);
  return { app, url: `http://127.0.0.1:${port}` };
}

const failure = (promise: Promise<unknown>) => promise.then(() => 'answered', (error: NodeJS.ErrnoException) => error.code);

describe('closeOnSignals', function () {
  this.timeout(20000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`on ${signal}: refuses new connections, answers the request in flight, then closes the clients and exits 0`, async () => {
      const { app, url } = await startApp();
      const slow = request(`${url}/slow?ms=800`);
      await app.line(/^request 800$/);
      app.child.kill(signal);
      await app.line(/stopping 1 server/);
      assert.equal(await failure(request(`${url}/slow?ms=0`)), 'ECONNREFUSED');
      const answer = await slow;
      assert.equal(answer.status, 200);
      assert.equal(answer.body, 'done');
      assert.equal(answer.headers.connection, 'close', 'a keep-alive client is told not to reuse the connection');
      assert.deepEqual(await app.exited, { code: 0, signal: null });
      assert.ok(app.indexOf('answered 800') < app.indexOf('client closed'), `clients are closed after the request: ${app.lines.join(' | ')}`);
      assert.equal(app.stderr, '');
    });
  }

  it('starts the same shutdown on the IPC message it was given', async () => {
    const { app, url } = await startApp();
    const slow = request(`${url}/slow?ms=500`);
    await app.line(/^request 500$/);
    app.child.send('shutdown');
    await app.line(/^info message 'shutdown': stopping 1 server/);
    assert.equal((await slow).status, 200);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
    assert.ok(app.indexOf('answered 500') < app.indexOf('client closed'));
  });

  it('joins a shutdown started by the message when a signal follows it, as Ctrl-C does in a node:cluster worker', async () => {
    const { app, url } = await startApp();
    const slow = request(`${url}/slow?ms=800`);
    await app.line(/^request 800$/);
    app.child.send('shutdown');
    await app.line(/stopping 1 server/);
    app.child.kill('SIGINT');
    assert.equal((await slow).status, 200);
    assert.deepEqual(await app.exited, { code: 0, signal: null });
  });

  it('exits at once with code 1 on a second signal', async () => {
    const { app, url } = await startApp();
    const slow = failure(request(`${url}/slow?ms=10000`));
    await app.line(/^request 10000$/);
    app.child.kill('SIGTERM');
    await app.line(/stopping 1 server/);
    app.child.kill('SIGINT');
    assert.deepEqual(await app.exited, { code: 1, signal: null });
    assert.equal(await slow, 'ECONNRESET');
    assert.equal(app.indexOf('client closed'), -1);
    assert.ok(app.lines.includes('error SIGINT again: exiting without waiting'));
  });

  it('cuts the requests still in flight after the timeout, still closes the clients, and exits 1', async () => {
    const { app, url } = await startApp({ SHUTDOWN_TIMEOUT: '300' });
    const slow = failure(request(`${url}/slow?ms=10000`));
    await app.line(/^request 10000$/);
    app.child.kill('SIGTERM');
    assert.equal(await slow, 'ECONNRESET');
    assert.deepEqual(await app.exited, { code: 1, signal: null });
    assert.ok(app.lines.includes('error requests still in flight after 300 ms: cutting their connections'));
    assert.ok(app.lines.includes('client closed'));
  });
});
