import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { resolveOptions, stableKey } from '../../../lib/options.js';
import { agreementOf, buildDelegates, disagreement, toDelegateSpec, type ChannelSpec } from '../../../lib/spec.js';

class Parent extends EventEmitter {
  async inherited() {}
}
class Sample extends Parent {
  async get(_key: string) {}
  syncMethod() {}
  subscribe() {}
  publish() {}
  close() {}
  async ready() {}
}

describe('options', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fills documented defaults and takes the class name as channel name', () => {
    delete process.env.NODE_CLUSTER_CLIENT_PORT;
    delete process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE;
    const options = resolveOptions({}, 'Sample');
    assert.equal(options.name, 'Sample');
    assert.equal(options.port, 7777);
    assert.equal(options.singleMode, false);
    assert.equal(options.responseTimeout, 3000);
    assert.equal(options.isBroadcast, true);
    assert.equal(options.isLeader, undefined);
  });

  it('reads the port and single mode from the environment, and options win over it', () => {
    process.env.NODE_CLUSTER_CLIENT_PORT = '9123';
    process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE = '1';
    assert.equal(resolveOptions({}, 'x').port, 9123);
    assert.equal(resolveOptions({}, 'x').singleMode, true);
    assert.equal(resolveOptions({ port: 1234, singleMode: false }, 'x').port, 1234);
    assert.equal(resolveOptions({ port: 1234, singleMode: false }, 'x').singleMode, false);
  });

  it('logs info, warn and error to the console by default, and keeps debug silent', () => {
    const logger = resolveOptions({}, 'x').logger;
    assert.equal(typeof logger.info, 'function');
    assert.equal(typeof logger.error, 'function');
    assert.equal(logger.debug, undefined);
  });

  it('ignores options given as undefined', () => {
    assert.equal(resolveOptions({ responseTimeout: undefined }, 'x').responseTimeout, 3000);
  });

  it('makes the same subscription key whatever the order of object keys', () => {
    assert.equal(stableKey({ a: 1, b: { d: 2, c: 3 } }), stableKey({ b: { c: 3, d: 2 }, a: 1 }));
    assert.notEqual(stableKey({ a: 1 }), stableKey({ a: 2 }));
  });
});

describe('delegation rules', () => {
  const options = resolveOptions({}, 'Sample');

  it('auto-generates async methods (inherited too) and same-name lifecycle methods, not sync ones nor ready', () => {
    const delegates = buildDelegates(Sample, new Map(), options);
    assert.deepEqual(Object.keys(delegates).sort(), ['close', 'get', 'inherited', 'publish', 'subscribe']);
    assert.equal(delegates.get.to, 'invoke');
    assert.equal(delegates.subscribe.to, 'subscribe');
  });

  it('lets explicit delegates win and marks idempotent methods from the option', () => {
    const explicit = new Map([['syncMethod', toDelegateSpec('invokeOneway')]]);
    const delegates = buildDelegates(Sample, explicit, { ...options, idempotent: ['get'] });
    assert.equal(delegates.syncMethod.to, 'invokeOneway');
    assert.equal(delegates.get.idempotent, true);
  });

  it('delegates nothing implicitly with autoGenerate false', () => {
    assert.deepEqual(buildDelegates(Sample, new Map(), { ...options, autoGenerate: false }), {});
  });

  it('rejects an unknown delegate kind', () => {
    assert.throws(() => toDelegateSpec('invokeTwice' as never), /must be one of/);
  });

  it('names every difference between leader and follower', () => {
    const spec = (delegates: ChannelSpec['delegates'], isBroadcast: boolean) =>
      agreementOf({ Client: Sample, args: [], overrides: {}, delegates, options: { ...options, isBroadcast } });
    const leader = spec({ get: { to: 'invoke' }, close: { to: 'close' } }, true);
    assert.equal(disagreement(leader, spec({ close: { to: 'close' }, get: { to: 'invoke', idempotent: true } }, true)), null);
    const problem = disagreement(leader, spec({ get: { to: 'invokeOneway' } }, false));
    assert.match(problem!, /isBroadcast: leader true, follower false/);
    assert.match(problem!, /delegate "get": leader invoke, follower invokeOneway/);
    assert.match(problem!, /delegate "close": leader close, follower none/);
  });
});
