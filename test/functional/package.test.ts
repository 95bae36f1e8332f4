// The package as users get it: built to dist/, required from CommonJS, imported from ESM by name,
// and an APIClientBase subclass working across 2 processes.
import assert from 'node:assert/strict';
import { execFileSync, execSync, fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../support/servers.js';
import { waitFor } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const fixtures = join(root, 'test', 'fixtures');
const builtEntry = join(root, 'dist', 'lib', 'index.js');

function newestSourceMs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/** A forked package-esm.mjs process, driven over IPC. */
class AppProcess {
  readonly messages: any[] = [];
  private nextId = 1;

  constructor(readonly child: ChildProcess) {
    child.on('message', (msg) => this.messages.push(msg));
  }

  static start(port: number): AppProcess {
    // No tsx: the fixture is plain JavaScript that loads dist/ like an installed package.
    return new AppProcess(fork(join(fixtures, 'package-esm.mjs'), [String(port)], { cwd: root, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  message(type: string): Promise<any> {
    return waitFor(`a "${type}" message`, () => this.messages.find((m) => m.type === type), 15000);
  }

  async call(cmd: string, payload: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    this.child.send({ id, cmd, ...payload });
    const reply = await waitFor(`the reply to ${cmd}`, () => this.messages.find((m) => m.type === 'reply' && m.id === id), 5000);
    if (reply.error) throw new Error(reply.error);
    return reply.value;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('the built package', function () {
  this.timeout(30000);

  before(function () {
    this.timeout(120000);
    const stale = !existsSync(builtEntry) || statSync(builtEntry).mtimeMs < Math.max(newestSourceMs(join(root, 'lib')), newestSourceMs(join(root, 'protocol')));
    if (stale) {
      try {
        execSync('npm run build', { cwd: root, stdio: 'pipe' });
      } catch (err: any) {
        throw new Error(`npm run build failed:\n${err.stdout}${err.stderr}`, { cause: err });
      }
    }
    assert.ok(existsSync(builtEntry), 'npm run build produced dist/lib/index.js');
  });

  it('can be required from CommonJS and exposes cluster, close and APIClientBase', () => {
    const output = execFileSync(process.execPath, [join(fixtures, 'package-cjs.cjs')], { cwd: root, encoding: 'utf8', timeout: 15000, stdio: ['ignore', 'pipe', 'pipe'] });
    const result = JSON.parse(output);
    assert.deepEqual(result, {
      cluster: 'function',
      close: 'function',
      APIClientBase: 'function',
      defaultIsCluster: true,
      clusterClose: true,
      greeting: result.greeting,
    });
    assert.match(result.greeting, /^hello cjs from \d+$/);
  });

  describe('imported from ESM by name, with an APIClientBase subclass in 2 processes', () => {
    let apps: AppProcess[] = [];
    after(() => apps.forEach((app) => app.kill()));

    it('has the default export with close and APIClientBase attached, and one leader serves both processes', async () => {
      const port = await freePort();
      apps = [AppProcess.start(port), AppProcess.start(port)];
      for (const app of apps) {
        assert.deepEqual(await app.message('surface'), { type: 'surface', defaultIsNamed: true, clusterClose: true, clusterAPIClientBase: true, closeType: 'function' });
      }
      const ready = await Promise.all(apps.map((app) => app.message('ready')));
      assert.equal(ready.filter((r) => r.leader).length, 1, JSON.stringify(ready));
      const leaderPid = ready.find((r) => r.leader).pid;

      const results = [];
      for (const app of [apps[0], apps[1], apps[0]]) results.push(await app.call('add', { n: 5 }));
      assert.deepEqual(results.map((r) => r.count), [5, 10, 15], 'one Counter behind both processes');
      for (const r of results) assert.deepEqual({ pid: r.pid, prefix: r.prefix, instances: r.instances }, { pid: leaderPid, prefix: 'n-', instances: 1 });

      const follower = apps[ready.findIndex((r) => !r.leader)];
      assert.equal(await follower.call('close'), true);
      const leader = apps[ready.findIndex((r) => r.leader)];
      assert.equal((await leader.call('add', { n: 1 })).count, 16);
    });
  });
});
