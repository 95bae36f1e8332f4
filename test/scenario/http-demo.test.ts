// The npm start demo, headless: node:cluster workers behind one port, a session counter shared by
// every worker, one upstream connection, the leader stopped and killed from the page, a rolling
// restart under load, and Ctrl-C leaving nothing running.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/servers.js';
import { CookieJar, LineProcess, request } from '../support/http.js';
import { waitFor } from './helpers.js';

const DEMO = fileURLToPath(new URL('../../examples/http-demo.ts', import.meta.url));

interface Visit {
  visits: number;
  worker: number;
  workerIsLeader: boolean;
  leader: number;
  upstreamConnections: number;
}

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the HTTP demo (npm start)', function () {
  this.timeout(240000);
  let demo: LineProcess;
  let base: string;
  const jar = new CookieJar();
  const pids = new Set<number>();

  const visit = async (): Promise<Visit> => {
    const answer = await request(`${base}/api/visit`, { cookie: jar.header });
    assert.equal(answer.status, 200, answer.body);
    jar.take(answer);
    const body = JSON.parse(answer.body) as Visit;
    pids.add(body.worker);
    return body;
  };
  const stopLeader = async (how: 'stop' | 'kill') => {
    const answer = await request(`${base}/leader/${how}`, { method: 'POST', cookie: jar.header });
    assert.equal(answer.status, 200, answer.body);
    return JSON.parse(answer.body) as { signalled: number };
  };

  /** Once the worker started in place of a stopped one listens, so that both workers serve again. */
  const replacementListening = () =>
    demo.line(/^worker \d+ listening/, 60000, demo.lines.map((l) => l.includes('starting another')).lastIndexOf(true) + 1);

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    demo = new LineProcess(process.execPath, ['--import', 'tsx', DEMO], {
      env: { ...process.env, PORT: String(port), ONELINK_PORT: String(await freePort()), WORKERS: '2', REDIS_URL: '' },
    });
    pids.add(demo.child.pid!);
    await demo.line(/^open http:\/\/localhost:\d+\//, 120000);
  });

  after(async () => {
    if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
    for (const pid of pids) if (isRunning(pid)) process.kill(pid, 'SIGKILL');
  });

  it('shares one session counter between the workers, through one upstream connection held by the leader', async () => {
    const visits = [];
    for (let i = 0; i < 6; i++) visits.push(await visit());
    assert.deepEqual(visits.map((v) => v.visits), [1, 2, 3, 4, 5, 6]);
    assert.equal(new Set(visits.map((v) => v.worker)).size, 2, 'both workers answered');
    assert.equal(new Set(visits.map((v) => v.leader)).size, 1);
    for (const v of visits) {
      assert.equal(v.upstreamConnections, 1);
      assert.equal(v.workerIsLeader, v.worker === v.leader);
    }
  });

  it('keeps the counter when the leader is stopped from the page: it hands its sessions over', async () => {
    const before = await visit();
    const { signalled } = await stopLeader('stop');
    assert.equal(signalled, before.leader);
    await waitFor('the stopped leader gone', () => !isRunning(signalled) || undefined, 20000);
    const after = await visit();
    assert.equal(after.visits, before.visits + 1);
    assert.notEqual(after.leader, signalled);
    assert.equal(after.upstreamConnections, 1);
  });

  it('answers the next requests when the leader is killed (memory sessions die with it)', async () => {
    await replacementListening();
    const before = await visit();
    const { signalled } = await stopLeader('kill');
    assert.equal(signalled, before.leader);
    await waitFor('the killed leader gone', () => !isRunning(signalled) || undefined, 20000);
    const after = [await visit(), await visit(), await visit()];
    assert.deepEqual(after.map((v) => v.visits), [1, 2, 3], 'a new session, in the new leader');
    for (const v of after) {
      assert.notEqual(v.leader, signalled);
      assert.equal(v.upstreamConnections, 1);
    }
  });

  it('restarts the workers one at a time on SIGHUP without a failed request or a lost visit', async () => {
    await replacementListening();
    const start = (await visit()).visits;
    const from = demo.lines.length;
    let sent = 0;
    let ok = 0;
    const failures: string[] = [];
    let last = start;
    let restarted = false;
    while (sent < 300 || !restarted) {
      if (sent === 20) demo.child.kill('SIGHUP');
      sent++;
      try {
        last = (await visit()).visits;
        ok++;
      } catch (error) {
        failures.push((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      }
      restarted ||= demo.lines.slice(from).includes('rolling restart done');
    }
    console.log(`      rolling restart: ${sent} requests sent, ${failures.length} failed, counter ${start} -> ${last}`);
    assert.deepEqual(failures, []);
    assert.equal(last, start + ok, 'every answered visit was counted in the same session');
  });

  it('stops every process on SIGINT, without an error', async () => {
    demo.child.kill('SIGINT');
    assert.deepEqual(await demo.exited, { code: 0, signal: null });
    await waitFor('every worker gone', () => [...pids].every((pid) => !isRunning(pid)) || undefined, 5000);
    assert.equal(demo.stderr, '');
  });
});
