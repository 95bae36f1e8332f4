// The package as users get it: packed by `npm pack`, installed from the tarball by npm into a directory
// of its own, then required from CommonJS, imported from ESM, type-checked from TypeScript (CommonJS and
// ESM), and an APIClientBase subclass working across 2 processes.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/servers.js';
import { packedTarball, root, run } from '../support/package.js';
import { waitFor } from './helpers.js';

const fixtures = join(root, 'test', 'fixtures');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** What package-esm.mjs sends: what its module surface looks like, whether it got ready, and replies. */
type AppMessage =
  | { type: 'surface'; [check: string]: unknown }
  | { type: 'ready'; leader: boolean; pid: number }
  | { type: 'ready-error'; message: string }
  | { type: 'reply'; id: number; value?: unknown; error?: string };

/** What its Counter's add(n) answers. */
interface Added {
  count: number;
  pid: number;
  prefix: string;
  instances: number;
}

/** A forked package-esm.mjs process, driven over IPC. */
class AppProcess {
  readonly messages: AppMessage[] = [];
  private nextId = 1;

  constructor(readonly child: ChildProcess) {
    child.on('message', (msg) => this.messages.push(msg as AppMessage));
  }

  static start(app: string, port: number): AppProcess {
    // No tsx: the fixture is plain JavaScript that loads the installed package.
    return new AppProcess(fork(join(app, 'package-esm.mjs'), [String(port)], { cwd: app, execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  message<K extends AppMessage['type']>(type: K): Promise<Extract<AppMessage, { type: K }>> {
    return waitFor(`a "${type}" message`, () => this.messages.find((m): m is Extract<AppMessage, { type: K }> => m.type === type), 15000);
  }

  /** Sends a command; resolves with the reply's value, which the caller knows to be a T. */
  async call<T>(cmd: string, payload: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    this.child.send({ id, cmd, ...payload });
    const reply = await waitFor(`the reply to ${cmd}`, () => this.messages.find((m): m is Extract<AppMessage, { type: 'reply' }> => m.type === 'reply' && m.id === id), 5000);
    if (reply.error) throw new Error(reply.error);
    return reply.value as T;
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

describe('the built package', function () {
  this.timeout(30000);

  let app: string;

  before(async function () {
    // npm pack and npm install of the tarball; its dependencies come from npm's cache when they are there.
    this.timeout(180000);
    const tarball = await packedTarball();
    app = mkdtempSync(join(tmpdir(), 'onelink-app-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'onelink-user', private: true }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', tarball], app);
    for (const file of ['package-cjs.cjs', 'package-esm.mjs']) copyFileSync(join(fixtures, file), join(app, file));
  });
  after(() => {
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('require() returns the cluster function, with every export of the package as a property', async () => {
    const result = JSON.parse(await run(process.execPath, [join(app, 'package-cjs.cjs')], app, 15000));
    assert.deepEqual(result, {
      requireType: 'function',
      destructuredIsRequired: true,
      defaultIsRequired: true,
      close: 'function',
      clusterClose: true,
      APIClientBase: 'function',
      exportNames: result.exportNames,
      missing: [],
      errorClasses: result.errorClasses,
      greeting: result.greeting,
    });
    assert.ok(result.exportNames >= 15, `only ${result.exportNames} exports`);
    for (const name of ['OnelinkError', 'OptionsMismatchError', 'LeaderLostError', 'ResponseTimeoutError', 'ProtocolError']) {
      assert.ok(name === 'OnelinkError' || result.errorClasses.includes(name), `${name} is an OnelinkError reachable from require(): ${result.errorClasses}`);
    }
    assert.match(result.greeting, /^hello cjs from \d+$/);
  });

  it('type-checks from TypeScript compiled as CommonJS (import = require) and as ESM', async function () {
    this.timeout(120000);
    const types = join(fixtures, 'package-types');
    copyFileSync(join(types, 'consumer.cts.txt'), join(app, 'consumer.cts'));
    copyFileSync(join(types, 'consumer.mts.txt'), join(app, 'consumer.mts'));
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', strict: true, noEmit: true,
        types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: ['consumer.cts', 'consumer.mts'],
    }));
    // skipLibCheck off: the published .d.ts files themselves must compile for the user.
    await run(process.execPath, [tsc, '-p', join(app, 'tsconfig.json'), '--pretty', 'false'], app, 110000);
  });

  describe('imported from ESM by name, with an APIClientBase subclass in 2 processes', () => {
    let apps: AppProcess[] = [];
    after(() => apps.forEach((app) => app.kill()));

    it('has the default export with close and APIClientBase attached, and one leader serves both processes', async () => {
      const port = await freePort();
      apps = [AppProcess.start(app, port), AppProcess.start(app, port)];
      for (const app of apps) {
        assert.deepEqual(await app.message('surface'), { type: 'surface', defaultIsNamed: true, clusterClose: true, clusterAPIClientBase: true, closeType: 'function', namespaceDefault: true, namedError: true });
      }
      const ready = await Promise.all(apps.map((app) => app.message('ready')));
      const leaders = ready.filter((r) => r.leader);
      assert.equal(leaders.length, 1, JSON.stringify(ready));
      const leaderPid = leaders[0].pid;

      const results: Added[] = [];
      for (const app of [apps[0], apps[1], apps[0]]) results.push(await app.call<Added>('add', { n: 5 }));
      assert.deepEqual(results.map((r) => r.count), [5, 10, 15], 'one Counter behind both processes');
      for (const r of results) assert.deepEqual({ pid: r.pid, prefix: r.prefix, instances: r.instances }, { pid: leaderPid, prefix: 'n-', instances: 1 });

      const follower = apps[ready.findIndex((r) => !r.leader)];
      assert.equal(await follower.call<boolean>('close'), true);
      const leader = apps[ready.findIndex((r) => r.leader)];
      assert.equal((await leader.call<Added>('add', { n: 1 })).count, 16);
    });
  });
});
