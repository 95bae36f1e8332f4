// Three real processes on one machine (memory backend): balancing state, metrics and health
// checks live in the leader, once for the machine.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ServerMetrics, ServerRecord } from '../../lib/registry/index.js';
import { freePort } from '../support/servers.js';
import { waitFor } from '../scenario/helpers.js';
import { RegistryProcess } from './fixtures/process-handle.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('registry on one machine (real processes, memory backend)', function () {
  this.timeout(30_000);
  const processes: RegistryProcess[] = [];
  let health: http.Server;
  let status = 200;
  let hits = 0;

  before(async () => {
    health = http.createServer((_req, res) => { hits++; res.writeHead(status).end('ok'); });
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    const healthPort = (health.address() as AddressInfo).port;
    for (let i = 0; i < 3; i++) {
      const p = new RegistryProcess({ clusterPort: port, interval: 300, latency: 300, register: { id: `w${i}`, type: 'web' } });
      processes.push(p);
      await p.started;
    }
    await processes[0].call('register', { id: 'checked', type: 'checked', address: `127.0.0.1:${healthPort}`, healthCheck: { seconds: 0.2, url: '/health' } });
  });
  after(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await new Promise((resolve) => health.close(resolve));
  });

  it('round-robin rotates exactly across the picks of all processes, and metrics are shared', async () => {
    const picked: string[] = [];
    for (let round = 0; round < 3; round++) {
      for (const p of processes) {
        const server = await p.call<ServerRecord>('pick', 'web');
        picked.push(server.id);
        await p.call('report', server.id, { latencyMs: 10 + round, ok: true });
      }
    }
    const start = ['w0', 'w1', 'w2'].indexOf(picked[0]);
    assert.deepEqual(picked, Array.from({ length: 9 }, (_, i) => `w${(start + i) % 3}`));
    // report is one-way: the leader counts it a moment later.
    await waitFor('the three reports of w0 counted', async () => {
      const metrics = await processes[2].call<ServerMetrics[]>('metrics', 'w0');
      return metrics[0].successes === 3 && metrics[0].inFlight === 0 ? true : undefined;
    }, 5000);
  });

  it('runs each health check once per machine, not once per process, and a failing server leaves pick()', async () => {
    await sleep(600);
    const before = hits;
    await sleep(1000);
    const perSecond = hits - before;
    assert.ok(perSecond >= 3 && perSecond <= 7, `one check per 200 ms for the machine, got ${perSecond} in 1 s with 3 processes`);
    assert.equal((await processes[1].call<ServerRecord>('pick', 'checked')).id, 'checked');
    status = 500;
    await sleep(600);
    await assert.rejects(processes[2].call<ServerRecord>('pick', 'checked'), (err: { code?: string }) => err.code === 'ERR_ONELINK_REGISTRY_NO_SERVER');
    status = 200;
    await sleep(600);
    assert.equal((await processes[2].call<ServerRecord>('pick', 'checked')).id, 'checked');
  });
});

describe('registry: the picks of a process that dies before report()', function () {
  this.timeout(30_000);
  const processes: RegistryProcess[] = [];
  after(() => Promise.all(processes.map((p) => p.stop())));

  it('are given back once the alive TTL has passed, so maxConcurrent does not stay used up', async () => {
    const port = await freePort();
    const balancer = { strategy: 'least-active', maxConcurrent: 1 };
    // TTL 300 + 1000 ms: generous, so that a heartbeat delayed by a loaded machine does not count as a death.
    const leader = new RegistryProcess({ clusterPort: port, interval: 300, latency: 1000, balancer, register: { id: 'solo', type: 'job' } });
    processes.push(leader);
    assert.equal((await leader.started).isLeader, true);
    const picker = new RegistryProcess({ clusterPort: port, interval: 300, latency: 1000, balancer });
    processes.push(picker);
    await picker.started;

    assert.equal((await picker.call<ServerRecord>('pick', 'job')).id, 'solo');
    await sleep(1800); // longer than the TTL: the picker's heartbeats keep its request counted
    await assert.rejects(leader.call<ServerRecord>('pick', 'job'), { code: 'ERR_ONELINK_REGISTRY_NO_CAPACITY' });

    await picker.kill9();
    const started = Date.now();
    for (;;) {
      try {
        assert.equal((await leader.call<ServerRecord>('pick', 'job')).id, 'solo');
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_ONELINK_REGISTRY_NO_CAPACITY' || Date.now() - started > 5000) throw err;
        await sleep(50);
      }
    }
    // TTL 1300 ms, swept every 300 ms
    assert.ok(Date.now() - started < 3000, `given back after ${Date.now() - started} ms`);
  });
});
