// Stores configured differently never share one store: each configuration has its own client name,
// in one process as across processes (two applications on one port with the default options).
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SharedSessionStore, type SharedSessionStoreOptions } from '../../lib/session/index.js';
import { freePort } from '../support/servers.js';

const STORE_PROCESS = fileURLToPath(new URL('./fixtures/store-process.ts', import.meta.url));
const quiet = { info() {}, warn() {}, error() {}, debug() {} };

interface Ready {
  ok: boolean;
  leader?: boolean;
  pid?: number;
  code?: string;
  message?: string;
}

/** What fixtures/store-process.ts sends: whether its store got ready, and the reply to each request. */
type StoreMessage = ({ type: 'ready' } & Ready) | { type: 'reply'; id: number; error?: string; value?: unknown };

class StoreProcess {
  readonly ready: Promise<Ready>;
  private nextId = 1;
  private readonly replies = new Map<number, (msg: { error?: string; value?: unknown }) => void>();

  constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve) => {
      child.on('message', (message) => {
        const msg = message as StoreMessage;
        if (msg.type === 'ready') resolve(msg);
        else if (msg.type === 'reply') this.replies.get(msg.id)?.(msg);
      });
    });
  }

  static start(options: SharedSessionStoreOptions): StoreProcess {
    return new StoreProcess(fork(STORE_PROCESS, [JSON.stringify(options)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  request(op: 'set' | 'get', sid: string, session?: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.replies.set(id, (msg) => (msg.error ? reject(new Error(msg.error)) : resolve(msg.value)));
      this.child.send({ id, op, sid, session });
    });
  }
}

const SESSION = { cookie: { originalMaxAge: null }, user: 'ada' };

describe('SharedSessionStore: configurations never share a store', function () {
  this.timeout(30000);

  it('in one process: a store of another prefix is another store, on the same port', async () => {
    const port = await freePort();
    const first = new SharedSessionStore({ backend: 'memory', prefix: 'users:', onelink: { port, logger: quiet } });
    const second = new SharedSessionStore({ backend: 'memory', onelink: { port, logger: quiet } });
    try {
      await Promise.all([first.ready(), second.ready()]);
      await promisify(first.set.bind(first))('sid-1', SESSION as never);
      assert.deepEqual(await promisify(first.get.bind(first))('sid-1'), SESSION);
      assert.equal(await promisify(second.get.bind(second))('sid-1'), null, 'the other store does not see it');
    } finally {
      await Promise.all([first.client.close(), second.client.close()]);
    }
  });

  it('across processes: another application\'s store on the same port fails at once; the same configuration shares', async () => {
    const port = await freePort();
    const processes: StoreProcess[] = [];
    try {
      const appA = StoreProcess.start({ backend: 'memory', prefix: 'a:', onelink: { port } });
      processes.push(appA);
      const readyA = await appA.ready;
      assert.equal(readyA.leader, true);
      await appA.request('set', 'sid-a', SESSION);

      const appB = StoreProcess.start({ backend: 'memory', onelink: { port, maxWaitTime: 15000 } });
      processes.push(appB);
      const started = Date.now();
      const readyB = await appB.ready;
      const elapsed = Date.now() - started;
      assert.equal(readyB.ok, false);
      assert.equal(readyB.code, 'ERR_ONELINK_CHANNEL_UNAVAILABLE');
      assert.match(readyB.message!, new RegExp(`pid ${readyA.pid}`));
      assert.match(readyB.message!, /give each application its own port or name/);
      assert.ok(elapsed < 7000, `took ${elapsed} ms, not at once`);

      const sameAsA = StoreProcess.start({ backend: 'memory', prefix: 'a:', onelink: { port } });
      processes.push(sameAsA);
      assert.deepEqual({ ok: (await sameAsA.ready).ok, leader: (await sameAsA.ready).leader }, { ok: true, leader: false });
      assert.deepEqual(await sameAsA.request('get', 'sid-a'), SESSION);
    } finally {
      for (const p of processes) p.child.kill('SIGKILL');
    }
  });
});
