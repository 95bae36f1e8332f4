// `pm2 reload` of the example app (examples/ecosystem.config.cjs: 3 instances in cluster mode, the
// memory session store) while one client keeps visiting with one cookie: no request fails, and the
// visit counter held by the leader goes on through every instance's replacement.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from '../support/servers.js';
import { CookieJar, request } from '../support/http.js';
import { waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2');

describe('pm2 reload of the example express app', function () {
  this.timeout(300000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  let base: string;
  const jar = new CookieJar();

  const visit = async (): Promise<{ visits: number; worker: number }> => {
    const answer = await request(`${base}/api/visit`, { cookie: jar.header });
    if (answer.status !== 200) throw Object.assign(new Error(answer.body), { code: `HTTP ${answer.status}` });
    jar.take(answer);
    return JSON.parse(answer.body);
  };

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'onelink-pm2-reload-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...process.env, PM2_HOME: home, PORT: String(port), ONELINK_PORT: String(await freePort()), INSTANCES: '3', REDIS_URL: '' };
    execFileSync(PM2, ['start', 'examples/ecosystem.config.cjs'], { env, cwd: ROOT, stdio: 'pipe', timeout: 120000 });
  });

  after(() => {
    try {
      execFileSync(PM2, ['kill'], { env, cwd: ROOT, stdio: 'pipe', timeout: 30000 });
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('loses no request and no visit while every instance is replaced', async () => {
    const workers = new Set<number>();
    await waitFor('three instances answering', async () => {
      workers.add((await visit()).worker);
      return workers.size === 3 || undefined;
    }, 120000, 20);
    const start = (await visit()).visits;
    let reloaded: Promise<unknown> | null = null;
    let done = false;
    let sent = 0;
    let ok = 0;
    let last = start;
    const failures: string[] = [];
    const servedBy = new Set<number>();
    // pm2 reports the reload done as the last replacement comes up: it is given some requests too.
    let afterDone = 0;
    while (sent < 300 || !done || (servedBy.size < 6 && afterDone++ < 600)) {
      if (sent === 20) reloaded = promisify(execFile)(PM2, ['reload', 'http-app'], { env, cwd: ROOT, timeout: 240000 }).finally(() => (done = true));
      sent++;
      try {
        const answer = await visit();
        last = answer.visits;
        servedBy.add(answer.worker);
        ok++;
      } catch (error) {
        failures.push((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      }
    }
    await reloaded;
    console.log(`      pm2 reload: ${sent} requests sent, ${failures.length} failed, counter ${start} -> ${last}, ${servedBy.size} processes answered`);
    assert.deepEqual(failures, []);
    assert.equal(last, start + ok, 'every answered visit was counted in the same session');
    assert.ok([...workers].every((pid) => servedBy.has(pid)) && servedBy.size >= 6, 'the old instances, then their replacements, answered');
  });
});
