// The same app started by PM2 in cluster mode (3 instances, node:cluster under the hood): one leader,
// every instance served by it, and a new leader after the leader's process is killed.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/servers.js';
import { waitFor } from './helpers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PM2 = join(ROOT, 'node_modules', '.bin', 'pm2');
const APP = join(ROOT, 'test', 'fixtures', 'pm2-app.mjs');

interface Report {
  pid: number;
  leader: boolean;
  servedBy: number;
  instances: number;
  failed: number;
  at: number;
}

describe('under PM2 cluster mode', function () {
  this.timeout(60000);
  let home: string;
  let env: NodeJS.ProcessEnv;
  let reportFile: string;

  const pm2 = (...args: string[]) => execFileSync(PM2, args, { env, cwd: ROOT, stdio: 'pipe', timeout: 30000 }).toString();
  const reports = (): Report[] =>
    existsSync(reportFile) ? readFileSync(reportFile, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line)) : [];
  const latestPerProcess = (since = 0) => {
    const latest = new Map<number, Report>();
    for (const r of reports()) if (r.at >= since) latest.set(r.pid, r);
    return [...latest.values()];
  };

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'onelink-pm2-'));
    reportFile = join(home, 'reports.jsonl');
    env = { ...process.env, PM2_HOME: home, ONELINK_PM2_PORT: String(await freePort()), ONELINK_PM2_REPORT: reportFile };
    pm2('start', APP, '-i', '3', '--name', 'onelink-pm2', '--node-args=--import tsx', '--no-autorestart');
  });

  after(() => {
    try {
      pm2('kill');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('has exactly one leader, which alone constructs the DataClient and serves every instance', async () => {
    await waitFor('three PM2 instances reporting', () => latestPerProcess().length === 3 || undefined, 20000);
    const latest = latestPerProcess();
    const leaders = latest.filter((r) => r.leader);
    assert.equal(leaders.length, 1);
    for (const r of latest) {
      assert.equal(r.servedBy, leaders[0].pid);
      assert.equal(r.instances, 1);
    }
  });

  it('elects a new leader among the other instances when the leader is killed, with no failed idempotent call', async () => {
    const leader = latestPerProcess().find((r) => r.leader)!;
    const killedAt = Date.now();
    process.kill(leader.pid, 'SIGKILL');
    await waitFor('both surviving instances served by a new leader', () => {
      const after = latestPerProcess(killedAt).filter((r) => r.pid !== leader.pid);
      return (after.length === 2 && after.every((r) => r.servedBy !== leader.pid)) || undefined;
    }, 20000);
    const after = latestPerProcess(killedAt).filter((r) => r.pid !== leader.pid);
    const newLeaders = after.filter((r) => r.leader);
    assert.equal(newLeaders.length, 1);
    for (const r of after) {
      assert.equal(r.servedBy, newLeaders[0].pid);
      assert.equal(r.failed, 0);
    }
  });
});
