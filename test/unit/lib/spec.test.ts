import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { resolveOptions } from '../../../lib/options.js';
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
