// Health checks against a real local HTTP server that is switched between healthy and failing.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RegistryClient } from '../../lib/registry/registry-client.js';
import { toServerRecord } from '../../lib/registry/registration.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, check: () => Promise<boolean>, withinMs = 3000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await sleep(25);
  }
}

describe('registry health checks', () => {
  let backend: http.Server;
  let status = 200;
  let body = 'ok';
  let hits = 0;
  let client: RegistryClient;

  before(async () => {
    backend = http.createServer((req, res) => {
      if (req.url === '/health') hits++;
      res.writeHead(req.url === '/health' ? status : 404).end(body);
    });
    await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await client?.close();
    await new Promise((resolve) => backend.close(resolve));
  });

  it('a server failing its check leaves pick() and returns when it passes again', async () => {
    client = new RegistryClient({ interval: 100, latency: 400 });
    await client.ready();
    const { port } = backend.address() as AddressInfo;
    const checked = toServerRecord({ id: 'checked', type: 'web', address: `127.0.0.1:${port}`, healthCheck: { seconds: 0.1, url: '/health', regexp: '^ok$' } });
    const plain = toServerRecord({ id: 'plain', type: 'web', port: 1 });
    const records = [checked, plain];
    await client.register(checked);
    await client.register(plain);
    const heartbeat = setInterval(() => void client.heartbeat(records), 100);
    const pickedIds = async () => {
      const ids = new Set<string>();
      for (let i = 0; i < 4; i++) ids.add((await client.pick('web')).id);
      return [...ids].sort().join(',');
    };
    try {
      await until('first check passes', async () => (await client.healthStates()).checked === 'passing');
      assert.equal(await pickedIds(), 'checked,plain');

      status = 500;
      await until('500 fails the check', async () => (await client.healthStates()).checked === 'failing');
      assert.equal(await pickedIds(), 'plain');
      assert.equal((await client.servers('web')).length, 2, 'a failing server is still registered, only not picked');

      status = 200;
      await until('passes again', async () => (await client.healthStates()).checked === 'passing');
      assert.equal(await pickedIds(), 'checked,plain');

      body = 'degraded';
      await until('a body not matching regexp fails', async () => (await client.healthStates()).checked === 'failing');
      body = 'ok';
      await until('passes again', async () => (await client.healthStates()).checked === 'passing');

      const before = hits;
      await sleep(500);
      assert.ok(hits - before >= 3 && hits - before <= 7, `about one check per 100 ms: ${hits - before} in 500 ms`);
    } finally {
      clearInterval(heartbeat);
    }
  });
});
