// egg 3 applications using this package as their cluster-client, through npm `overrides`, started the ways
// egg users start them: egg-scripts (master, agent, 2 app workers), egg-mock's mm.app() in a unit test,
// and egg's single-process mode. The app (test/egg/app) is installed with its own package.json in a
// directory of its own, so that egg stays out of this package's dependencies.
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packedTarball, registryReachable, root, run } from '../support/package.js';
import { freePort } from '../support/servers.js';
import { delay, portIsFree, waitFor } from '../functional/helpers.js';

const fixture = join(root, 'test', 'egg', 'app');

/** What the app's routes answer (test/egg/app/app/controller/home.js); `worker` is the pid of the worker that answered. */
interface ConfigValue {
  key: string;
  value: string;
  leaderPid: number;
}
interface DataAnswer {
  worker: number;
  /** From the plain cluster client, and through the APIClientBase. */
  data: ConfigValue;
  api: ConfigValue;
  leader: boolean;
}
interface NewsAnswer {
  worker: number;
  news: string[];
}
interface FailAnswer {
  worker: number;
  failed: boolean;
  name?: string;
  code?: string;
  message?: string;
}
interface ResolveAnswer {
  fromApp: string;
  fromEgg: string;
  name: string;
  requireType: string;
}
/** What egg.start() in single.js sends its parent. */
type SingleMessage = { type: 'listening'; pid: number } | { type: 'closed'; clientsClosed: boolean; sockets: number } | { type: 'error'; message: string; code?: string };

/** GET on a fresh connection each time, so that egg's master spreads requests over its workers; T is what the route answers. */
function get<T>(port: number, path: string, timeoutMs = 30000): Promise<T> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`GET ${path}: HTTP ${res.statusCode} ${body}`));
        else resolve(JSON.parse(body) as T);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no response within ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** GETs `path` until `count` different workers have answered; the last answer of each, by pid. */
async function answersOfWorkers<T extends { worker: number }>(port: number, path: string, count: number): Promise<Map<number, T>> {
  const byWorker = new Map<number, T>();
  await waitFor(`answers to ${path} from ${count} workers`, async () => {
    // A connection egg's master handed to a worker that is being replaced can hang: poll on short requests.
    const answer = await get<T>(port, path, 5000);
    byWorker.set(answer.worker, answer);
    return byWorker.size >= count;
  }, 30000);
  return byWorker;
}

/** Pids of the processes of an egg-scripts app of this title (master, agent, workers): egg puts it in their arguments. */
async function processesOf(title: string): Promise<number[]> {
  const listing = await run('ps', ['-eww', '-o', 'pid=,args='], '/');
  return listing.split('\n')
    .filter((line) => line.includes(`--title=${title}`) || line.includes(`"title":"${title}"`))
    .map((line) => Number(line.trim().split(/\s+/)[0]))
    .filter((pid) => pid !== process.pid);
}

function commandLineOf(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
}

function killIfAlive(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('egg 3 with this package as cluster-client', function () {
  this.timeout(60000);
  let app: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(300000);
    const tarball = await packedTarball();
    app = mkdtempSync(join(tmpdir(), 'onelink-egg-'));
    cpSync(fixture, app, { recursive: true, filter: (src) => !src.includes('node_modules') });
    copyFileSync(tarball, join(app, 'onelink.tgz'));
    try {
      await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock'], app, 280000);
    } catch (err) {
      if (!(await registryReachable(app))) {
        console.warn(`    skipping the egg tests: npm's registry is unreachable and egg is not in npm's cache (${(err as Error).message.split('\n')[0]})`);
        this.skip();
      }
      throw err;
    }
    // egg and egg-scripts write logs under the home directory (node-homedir reads MOCK_HOME_DIR first).
    mkdirSync(join(app, 'home'));
    env = { ...process.env, MOCK_HOME_DIR: join(app, 'home') };
    // Coverage of egg's own processes is not this package's, and would only slow the report down.
    delete env.NODE_V8_COVERAGE;
    delete env.NODE_OPTIONS;
  });
  after(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  describe('egg-scripts start --daemon --workers=2', () => {
    const title = `onelink-egg-${process.pid}`;
    let port: number;
    const eggScripts = (args: string[]) => run(process.execPath, [join(app, 'node_modules', 'egg-scripts', 'bin', 'egg-scripts.js'), ...args], app, 170000, env);

    before(async function () {
      this.timeout(180000);
      port = await freePort();
      await eggScripts(['start', '--daemon', '--workers=2', `--port=${port}`, `--title=${title}`, `--node=${process.execPath}`, '--timeout=150000']);
    });
    after(async function () {
      this.timeout(60000);
      if ((await processesOf(title)).length === 0) return;
      try {
        await eggScripts(['stop', `--title=${title}`]);
      } finally {
        (await processesOf(title)).forEach(killIfAlive);
      }
    });

    it('loads this package as cluster-client, in egg and in the app', async () => {
      const resolved = await get<ResolveAnswer>(port, '/resolve');
      assert.equal(resolved.name, 'onelink');
      assert.equal(resolved.requireType, 'function');
      assert.equal(resolved.fromEgg, resolved.fromApp);
      assert.equal(resolved.fromApp, join(app, 'node_modules', 'cluster-client', 'dist', 'lib', 'index.js'));
    });

    it('serves the same data to every worker, from one DataClient in the agent, plain and through APIClientBase', async () => {
      const answers = await answersOfWorkers<DataAnswer>(port, '/data', 2);
      const leaderPid = [...answers.values()][0].data.leaderPid;
      for (const answer of answers.values()) {
        assert.deepEqual(answer.data, { key: 'a', value: 'v-a', leaderPid });
        assert.deepEqual(answer.api, { key: 'b', value: 'api-b', leaderPid });
        assert.equal(answer.leader, false, 'app workers follow');
      }
      assert.ok(!answers.has(leaderPid));
      assert.match(commandLineOf(leaderPid), /agent_worker/);
    });

    it('delivers a value published in one worker to every worker, once', async () => {
      await get(port, '/publish?value=first');
      const answers = new Map<number, string[]>();
      await waitFor('"first" in both workers', async () => {
        const answer = await get<NewsAnswer>(port, '/news');
        answers.set(answer.worker, answer.news);
        return answers.size === 2 && [...answers.values()].every((news) => news.includes('first'));
      }, 20000);
      for (const news of answers.values()) assert.deepEqual(news, ['first']);
    });

    it('passes an error of the DataClient on to the worker with its code', async () => {
      const answer = await get<FailAnswer>(port, '/fail?code=E_CONFIG_REFUSED');
      assert.equal(answer.failed, true);
      assert.equal(answer.code, 'E_CONFIG_REFUSED');
      assert.match(answer.message ?? '', /config store refused \(E_CONFIG_REFUSED\)/);
    });

    it('a worker killed with SIGKILL is replaced by egg, and the new worker follows the agent', async () => {
      const before = await answersOfWorkers<DataAnswer>(port, '/data', 2);
      const leaderPid = [...before.values()][0].data.leaderPid;
      const [killed] = before.keys();
      process.kill(killed, 'SIGKILL');
      const fresh = await waitFor('an answer from the worker egg forks in place of the killed one', async () => {
        const answer = await get<DataAnswer>(port, '/data', 5000).catch(() => undefined);
        return answer && !before.has(answer.worker) ? answer : undefined;
      }, 45000);
      assert.deepEqual(fresh.data, { key: 'a', value: 'v-a', leaderPid });
      assert.deepEqual(fresh.api, { key: 'b', value: 'api-b', leaderPid });
    });

    /** Kills the agent; returns its pid once `delayMs` have passed since. */
    async function killAgent(delayMs: number): Promise<number> {
      const answers = await answersOfWorkers<DataAnswer>(port, '/data', 2);
      const agentPid = [...answers.values()][0].data.leaderPid;
      process.kill(agentPid, 'SIGKILL');
      await delay(delayMs);
      return agentPid;
    }

    it('an agent killed with SIGKILL is restarted by egg; requests made in the gap wait and succeed in every worker', async () => {
      // Half a second: the workers have seen the agent go, and egg starts the new one after 1 s.
      const oldLeader = await killAgent(500);
      const inGap = await Promise.all([get<DataAnswer>(port, '/data', 60000), get<DataAnswer>(port, '/data', 60000)]);
      assert.equal(new Set(inGap.map((answer) => answer.worker)).size, 2, 'both workers answered');
      const newLeader = inGap[0].data.leaderPid;
      assert.notEqual(newLeader, oldLeader);
      assert.match(commandLineOf(newLeader), /agent_worker/);
      for (const answer of inGap) {
        assert.deepEqual(answer.data, { key: 'a', value: 'v-a', leaderPid: newLeader });
        assert.deepEqual(answer.api, { key: 'b', value: 'api-b', leaderPid: newLeader });
      }

      // The subscriptions of both workers moved to the new agent.
      await get(port, '/publish?value=after-agent-restart');
      await waitFor('"after-agent-restart" in both workers', async () => {
        const answers = await answersOfWorkers<NewsAnswer>(port, '/news', 2);
        return [...answers.values()].every((answer) => answer.news.includes('after-agent-restart'));
      }, 20000);
    });

    it('a request made the moment the agent is killed waits for the new agent and succeeds', async () => {
      // The worker may send the call before it sees the agent gone: the call is then in flight when
      // the leader is lost, and only a method declared idempotent (getConfig, a read) is sent again.
      const oldLeader = await killAgent(0);
      const answer = await get<DataAnswer>(port, '/data', 60000);
      assert.notEqual(answer.data.leaderPid, oldLeader);
      assert.deepEqual(answer.data, { key: 'a', value: 'v-a', leaderPid: answer.data.leaderPid });
    });

    it('egg-scripts stop leaves no process of the app running and frees the port', async () => {
      await waitFor('master, agent and 2 workers running', async () => (await processesOf(title)).length === 4, 20000);
      await eggScripts(['stop', `--title=${title}`]);
      await waitFor('every process of the app to exit', async () => (await processesOf(title)).length === 0, 15000);
      assert.equal(await portIsFree(port), true);
    });
  });

  // The fixture pins koa-compose 4.1.0: 4.2.0 copies the middleware list when koa composes it, and
  // egg-mock composes before egg adds its router middleware (in beforeStart), so every route would 404.
  it("egg-mock's mm.app() runs the app's own unit test (agent and app in one process)", async function () {
    this.timeout(150000);
    const output = await run(process.execPath, [join(app, 'node_modules', 'mocha', 'bin', 'mocha.js'), '--exit', '--timeout', '60000', 'test/clients.test.js'], app, 140000, env);
    assert.match(output, /3 passing/);
  });

  describe("egg's single-process mode (egg.start())", () => {
    let child: ChildProcess | undefined;
    let port: number;

    before(async function () {
      this.timeout(120000);
      port = await freePort();
      const started = fork(join(app, 'single.js'), [String(port)], { cwd: app, env, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      child = started;
      const first = await new Promise<SingleMessage>((resolve, reject) => {
        started.once('message', (message) => resolve(message as SingleMessage));
        started.once('exit', (code, signal) => reject(new Error(`single.js exited (${code ?? signal}) before listening`)));
      });
      if (first.type !== 'listening') throw new Error(`egg.start() failed: ${'message' in first ? first.message : first.type}`);
    });
    after(() => {
      if (child?.pid) killIfAlive(child.pid);
    });

    it('serves data, subscriptions and errors from the DataClient in this one process', async () => {
      const answer = await get<DataAnswer>(port, '/data');
      assert.deepEqual(answer.data, { key: 'a', value: 'v-a', leaderPid: child!.pid });
      assert.deepEqual(answer.api, { key: 'b', value: 'api-b', leaderPid: child!.pid });
      await get(port, '/publish?value=single');
      await waitFor('"single" delivered', async () => (await get<NewsAnswer>(port, '/news')).news.includes('single'), 10000);
      assert.deepEqual((await get<NewsAnswer>(port, '/news')).news, ['single']);
      assert.equal((await get<FailAnswer>(port, '/fail?code=E_SINGLE')).code, 'E_SINGLE');
    });

    it('app.close() closes every cluster client and leaves no socket open', async () => {
      const closed = new Promise<SingleMessage>((resolve) => child!.on('message', (message) => (message as SingleMessage).type === 'closed' && resolve(message as SingleMessage)));
      child!.send('close');
      // egg's own timers (egg-schedule, egg-watcher's development source) keep the process alive after
      // app.close(), whichever cluster-client is installed: what the clients hold is checked instead.
      assert.deepEqual(await closed, { type: 'closed', clientsClosed: true, sockets: 0 });
    });
  });
});
