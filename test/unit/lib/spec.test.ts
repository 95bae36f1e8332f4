import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { cluster } from '../../../lib/index.js';
import { resolveOptions } from '../../../lib/options.js';
import { agreementOf, argsDigest, buildDelegates, disagreement, stableEncoding, toDelegateSpec, type ChannelSpec, type DataClientClass } from '../../../lib/spec.js';

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

  it('auto-generates every public method, sync and inherited ones too, and same-name lifecycle methods', () => {
    const delegates = buildDelegates(Sample, new Map(), options);
    assert.deepEqual(Object.keys(delegates).sort(), ['close', 'get', 'inherited', 'publish', 'subscribe', 'syncMethod']);
    assert.equal(delegates.get.to, 'invoke');
    assert.equal(delegates.syncMethod.to, 'invoke');
    assert.equal(delegates.subscribe.to, 'subscribe');
  });

  it('leaves out _-prefixed methods, the lifecycle hooks, members of the created client, and the library base classes', () => {
    class Hooks extends EventEmitter {
      _private() {}
      async _close() {}
      exportState() {}
      importState() {}
      override emit(event: string, ...args: unknown[]): boolean {
        return super.emit(event, ...args);
      }
      get getter(): number {
        return 1;
      }
      kept() {}
    }
    const isClientMember = (name: string) => name in EventEmitter.prototype;
    assert.deepEqual(Object.keys(buildDelegates(Hooks, new Map(), options, isClientMember)), ['kept']);
  });

  it('refuses an explicit delegate that names no method of the class', () => {
    for (const name of ['nope', 'getter', 'field']) {
      class WithField {
        field = () => 1;
        get getter() {
          return 1;
        }
      }
      assert.throws(() => buildDelegates(WithField, new Map([[name, toDelegateSpec('invoke')]]), options), {
        name: 'InvalidOptionError',
        option: 'delegate',
        value: name,
        message: `invalid option delegate: "${name}"; expected the name of a method of WithField`,
      });
    }
    assert.equal(buildDelegates(Sample, new Map([['inherited', toDelegateSpec('invokeOneway')]]), options).inherited.to, 'invokeOneway');
  });

  it('refuses an explicit delegate named like a member of the created client, unless it is that member', () => {
    const isClientMember = (name: string) => ['subscribe', 'get'].includes(name);
    assert.throws(() => buildDelegates(Sample, new Map([['get', toDelegateSpec('invoke')]]), options, isClientMember), /"get" cannot be delegated/);
    assert.equal(buildDelegates(Sample, new Map([['subscribe', toDelegateSpec('subscribe')]]), options, isClientMember).subscribe.to, 'subscribe');
  });

  it('create() refuses a delegate or idempotent name the class lacks, with InvalidOptionError', () => {
    assert.throws(() => cluster(Sample, { singleMode: true }).delegate('nope' as never).create(), { code: 'ERR_ONELINK_INVALID_OPTION', option: 'delegate', value: 'nope' });
    assert.throws(() => cluster(Sample, { singleMode: true, idempotent: ['nope'] }).create(), { code: 'ERR_ONELINK_INVALID_OPTION', option: 'idempotent', value: 'nope' });
  });

  it('refuses an idempotent name that is not delegated', () => {
    assert.throws(() => buildDelegates(Sample, new Map(), { ...options, idempotent: ['get', 'nope'] }), { option: 'idempotent', value: 'nope' });
    assert.throws(() => buildDelegates(Sample, new Map(), { ...options, autoGenerate: false, idempotent: ['get'] }), { option: 'idempotent', value: 'get' });
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
    assert.throws(() => toDelegateSpec('invokeTwice' as never), /expected one of/);
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

describe('what makes two clients the same client', () => {
  const options = resolveOptions({}, 'Sample');
  const allowing = resolveOptions({ allowDifferentArgs: true }, 'Sample');
  const agreement = (Client: DataClientClass, args: unknown[], delegates: ChannelSpec['delegates'] = { get: { to: 'invoke' } }, resolved = options) =>
    agreementOf({ Client, args, overrides: {}, delegates, options: resolved });

  it('carries the class name, the delegates, isBroadcast, a digest of the arguments and allowDifferentArgs, as plain data', () => {
    const a = agreement(Sample, [{ url: 'redis://x' }]);
    assert.deepEqual(Object.keys(a).sort(), ['allowDifferentArgs', 'argsDigest', 'className', 'delegates', 'isBroadcast']);
    assert.equal(a.allowDifferentArgs, false);
    assert.equal(a.className, 'Sample');
    assert.match(a.argsDigest, /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(JSON.stringify(a)), a);
  });

  it('names another DataClass class with the same methods', () => {
    class Other extends Sample {}
    assert.equal(disagreement(agreement(Sample, []), agreement(Other, []), ['existing', 'new']), 'DataClient class: existing Sample, new Other');
  });

  it('refuses other constructor arguments, naming them by their digests, never by their content', () => {
    const [mine, theirs] = [agreement(Sample, [{ password: 'secret-1' }]), agreement(Sample, [{ password: 'secret-2' }])];
    assert.equal(disagreement(mine, mine), null);
    const problem = disagreement(mine, theirs, ['existing', 'new']);
    const a = argsDigest([{ password: 'secret-1' }]).slice(0, 12);
    const b = argsDigest([{ password: 'secret-2' }]).slice(0, 12);
    assert.match(problem!, new RegExp(`^constructor arguments: existing digest ${a}…, new ${b}… \\(.*set allowDifferentArgs: true on every client of the name\\)$`));
    assert.doesNotMatch(problem!, /secret-/);
  });

  it('accepts other constructor arguments only where both sides allow them', () => {
    const [mine, theirs] = [agreement(Sample, [1], undefined, allowing), agreement(Sample, [2], undefined, allowing)];
    assert.equal(disagreement(mine, theirs), null, 'served by the leader DataClient, as in cluster-client');
    assert.equal(disagreement(mine, agreement(Sample, [1])), 'allowDifferentArgs: leader true, follower false');
    assert.equal(disagreement(agreement(Sample, [1]), theirs), 'allowDifferentArgs: leader false, follower true');
  });

  it('lists every differing field in one message', () => {
    class Other {}
    const problem = disagreement(agreement(Sample, [1]), agreement(Other, [2], {}));
    assert.match(problem!, /^DataClient class: leader Sample, follower Other; constructor arguments: leader digest \w+…, follower \w+… \(.*\); delegate "get": leader invoke, follower none$/);
  });

  it('refuses an agreement from the wire that is not one (an older peer, a hostile one)', () => {
    const mine = agreement(Sample, []);
    for (const theirs of [null, 'x', { delegates: {}, isBroadcast: true }, { ...mine, argsDigest: 42 }, { ...mine, delegates: { get: 1 } }]) {
      assert.match(disagreement(mine, theirs)!, /the follower's agreement is not one this version understands/);
    }
    // A name inherited by every object is not a delegate of the side that lacks it.
    assert.equal(disagreement(mine, { ...mine, delegates: { ...mine.delegates, toString: 'invoke' } }), 'delegate "toString": leader none, follower invoke');
  });

  it('digests equal arguments alike whatever the order of their keys', () => {
    assert.equal(argsDigest([{ a: 1, b: { c: [1, 2], d: 'x' } }]), argsDigest([{ b: { d: 'x', c: [1, 2] }, a: 1 }]));
    assert.equal(argsDigest([{ a: 1, gone: undefined }]), argsDigest([{ a: 1 }]));
    assert.equal(argsDigest([new Map([['x', 1], ['y', 2]]), new Set([1, 2])]), argsDigest([new Map([['y', 2], ['x', 1]]), new Set([2, 1])]));
  });

  it('digests different arguments differently, type included', () => {
    const variants: unknown[][] = [[], [undefined], [null], [0], [-0], ['0'], [0n], [true], ['true'], [[1, 2]], [[2, 1]], [{ a: 1 }], [{ a: '1' }],
      [Buffer.from('ab')], [new Uint8Array([97, 98])], ['ab'], [new Date(0)], [new Date(1)], [{ a: 1 }, {}], [[{ a: 1 }]]];
    const digests = variants.map((args) => argsDigest(args));
    assert.equal(new Set(digests).size, variants.length, variants.map((v, i) => `${stableEncoding(v)} ${digests[i].slice(0, 8)}`).join('\n'));
  });

  it('counts a function by its name and arity, and a class instance by its class, not their content', () => {
    class Logger {
      constructor(readonly file: string) {}
    }
    class OtherLogger {}
    assert.equal(argsDigest([{ logger: new Logger('agent.log') }]), argsDigest([{ logger: new Logger('app.log') }]));
    assert.notEqual(argsDigest([{ logger: new Logger('agent.log') }]), argsDigest([{ logger: new OtherLogger() }]));
    assert.equal(argsDigest([{ onError: function onError(_e: Error) {} }]), argsDigest([{ onError: function onError(_err: Error) {} }]));
    assert.notEqual(argsDigest([{ onError: function onError(_e: Error) {} }]), argsDigest([{ onError: function onError() {} }]));
    assert.notEqual(argsDigest([function a() {}]), argsDigest([function b() {}]));
  });

  it('digests a cyclic argument without looping', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    assert.equal(argsDigest([cyclic]), argsDigest([cyclic]));
    const shared = { x: 1 };
    assert.equal(stableEncoding([shared, shared]), '[{"x":n1},{"x":n1}]');
  });
});
