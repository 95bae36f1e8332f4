// DataClients come in every shape: sdk-base 4 or 5 (ready through initMethod), a plain
// EventEmitter, a bare class, with ready() returning a promise or taking a callback, or no ready().
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import { Base as Base5 } from 'sdk-base';
import { cluster } from '../../lib/index.js';

// cluster-client 3.7.0 depends on sdk-base 4; take that copy rather than the project's 5.
const requireFromClusterClient = createRequire(createRequire(import.meta.url).resolve('cluster-client'));
const Base4 = requireFromClusterClient('sdk-base') as new (options?: object) => EventEmitter & { ready(arg?: unknown): unknown };

function initFailure() {
  return Object.assign(new Error('cannot reach upstream'), { code: 'ERR_UPSTREAM' });
}

class SdkBase4Client extends Base4 {
  constructor(readonly options: { fail?: boolean }) {
    super({ initMethod: 'init' });
  }
  async init() {
    await new Promise((r) => setTimeout(r, 5));
    if (this.options.fail) throw initFailure();
  }
  async hello(name: string) {
    return `hello ${name} from sdk-base 4`;
  }
}

class SdkBase5Client extends Base5 {
  static closed = 0;
  constructor(readonly config: { fail?: boolean }) {
    super({ initMethod: 'init' });
  }
  // sdk-base's close() calls this; being async and `_`-named it must not become a delegated method.
  protected async _close() {
    SdkBase5Client.closed++;
  }
  async init() {
    await new Promise((r) => setTimeout(r, 5));
    if (this.config.fail) throw initFailure();
  }
  async hello(name: string) {
    return `hello ${name} from sdk-base 5`;
  }
}

class EmitterClient extends EventEmitter {
  async hello(name: string) {
    return `hello ${name} from an EventEmitter`;
  }
}

class BareClient {
  async hello(name: string) {
    return `hello ${name} from a bare class`;
  }
}

class CallbackReadyClient {
  constructor(private readonly fail = false) {}
  ready(callback: (err?: Error) => void) {
    setTimeout(() => callback(this.fail ? initFailure() : undefined), 5);
  }
  async hello(name: string) {
    return `hello ${name} after ready(callback)`;
  }
}

let next = 0;
const options = () => ({ name: `kind-${next++}`, singleMode: true });

describe('DataClient kinds', () => {
  const cases: Array<[string, () => { hello(name: string): Promise<string>; ready(): Promise<void>; close(): Promise<void> }]> = [
    ['sdk-base 4 with initMethod', () => cluster(SdkBase4Client, options()).create({})],
    ['sdk-base 5 with initMethod', () => cluster(SdkBase5Client, options()).create({})],
    ['a plain EventEmitter without ready()', () => cluster(EmitterClient, options()).create()],
    ['a bare class without ready()', () => cluster(BareClient, options()).create()],
    ['a class whose ready() takes a callback', () => cluster(CallbackReadyClient, options()).create()],
  ];
  for (const [kind, make] of cases) {
    it(`serves ${kind}`, async () => {
      const client = make();
      try {
        await client.ready();
        assert.match(await client.hello('ada'), /^hello ada /);
      } finally {
        await client.close();
      }
    });
  }

  it('closes an sdk-base client through its own _close, which is not delegated', async () => {
    const before = SdkBase5Client.closed;
    const client = cluster(SdkBase5Client, options()).create({});
    await client.ready();
    await client.close();
    assert.equal(SdkBase5Client.closed, before + 1);
    await assert.rejects(client.hello('ada'), { code: 'ERR_ONELINK_CLIENT_CLOSED' });
  });

  it('refuses to delegate a name the cluster client itself has (on, emit, ready...)', () => {
    class WithOn {
      async on() {}
    }
    assert.doesNotThrow(() => cluster(WithOn, options()).create().close());
    assert.throws(() => cluster(WithOn, options()).delegate('on').create(), /"on" cannot be delegated/);
  });

  it('retries the start of a DataClient that failed, when it is used again a second later', async () => {
    class UpstreamLate {
      static attempts = 0;
      async ready() {
        if (++UpstreamLate.attempts < 3) throw Object.assign(new Error('upstream not up yet'), { code: 'ERR_UPSTREAM_DOWN' });
      }
      async hello(name: string) {
        return `hello ${name}, start attempt ${UpstreamLate.attempts}`;
      }
    }
    const client = cluster(UpstreamLate, options()).create();
    try {
      await assert.rejects(client.ready(), { code: 'ERR_UPSTREAM_DOWN' });
      await assert.rejects(client.hello('ada'), { code: 'ERR_UPSTREAM_DOWN' }); // within the retry interval: the old error
      assert.equal(UpstreamLate.attempts, 1);
      await new Promise((r) => setTimeout(r, 1100));
      await assert.rejects(client.hello('ada'), { code: 'ERR_UPSTREAM_DOWN' }); // a second attempt, failing too
      assert.equal(UpstreamLate.attempts, 2);
      await new Promise((r) => setTimeout(r, 1100));
      assert.equal(await client.hello('ada'), 'hello ada, start attempt 3');
      assert.equal(await client.hello('bob'), 'hello bob, start attempt 3');
    } finally {
      await client.close();
    }
  });

  const failing: Array<[string, () => { ready(): Promise<void>; close(): Promise<void> }]> = [
    ['sdk-base 4', () => cluster(SdkBase4Client, options()).create({ fail: true })],
    ['sdk-base 5', () => cluster(SdkBase5Client, options()).create({ fail: true })],
    ['ready(callback)', () => cluster(CallbackReadyClient, options()).create(true)],
  ];
  for (const [kind, make] of failing) {
    it(`rejects ready() with the init error of ${kind}`, async () => {
      const client = make();
      try {
        await assert.rejects(client.ready(), { message: 'cannot reach upstream', code: 'ERR_UPSTREAM' });
      } finally {
        await client.close();
      }
    });
  }
});
