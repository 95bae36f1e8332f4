import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as coreErrors from '../../../lib/errors.js';
import * as registryErrors from '../../../lib/registry/errors.js';
import * as securityErrors from '../../../lib/security/errors.js';
import * as storeErrors from '../../../lib/stores/errors.js';
import { toDelegateSpec } from '../../../lib/spec.js';
import { decodeValue, encodeValue, errorFromWire, errorToWire, OnelinkError, ProtocolError, registeredErrorClasses } from '../../../protocol/index.js';

/** One instance of every error class onelink raises, with the own properties its constructor sets. */
const samples: OnelinkError[] = [
  new coreErrors.HandshakeError('not onelink', 7001),
  new coreErrors.EndpointBlockedError('bound, not listening'),
  new securityErrors.RuntimeDirError('runtime directory is group-writable', '/run/user/0/onelink'),
  new securityErrors.KeyFileError('key file is readable by others', '/run/user/0/onelink/tcp-7777.key'),
  new securityErrors.SocketPathError('path too long', '/tmp/x.sock'),
  new coreErrors.OptionsMismatchError('isBroadcast differs'),
  new coreErrors.LeaderLostError('increment'),
  new coreErrors.NoLeaderError('no leader within 30000 ms'),
  new coreErrors.NotLeaderError(7002),
  new coreErrors.ResponseTimeoutError('get', 3000),
  new coreErrors.FrameTooLargeError('the arguments of "set"', 70000, 65536),
  new coreErrors.LeaderClosingError('increment'),
  new coreErrors.MethodNotDelegatedError('emit', 'config'),
  new coreErrors.ChannelUnavailableError('config', 4242, ['other'], '127.0.0.1:7777'),
  new coreErrors.ClientClosedError('config'),
  new coreErrors.EncodeError('cannot encode a function'),
  new coreErrors.MissingPeerDependencyError('ioredis', 'the Redis store'),
  new coreErrors.PeerSilentError('127.0.0.1:7003', 3, 60000),
  new coreErrors.InvalidOptionError('delegate "get" to', 'invokeTwice', 'one of invoke, invokeOneway'),
  new coreErrors.ObserverRefusedError(3),
  new coreErrors.BadRequestError('the subscription of "echo" cannot be keyed: Do not know how to serialize a BigInt'),
  new coreErrors.PeerLimitError('maxPendingOpensPerPeer', 100, 'follower 127.0.0.1:50000 has 100 OPENs waiting (maxPendingOpensPerPeer); request refused'),
  new ProtocolError('ERR_ONELINK_PROTOCOL_VERSION', 'version 9'),
  new storeErrors.InvalidSessionIdError('empty id'),
  new storeErrors.InvalidSessionValueError('a function at user.fn', 'user.fn'),
  new storeErrors.StoreUnavailableError('redis', 'set', { cause: new Error('ECONNREFUSED') }),
  new storeErrors.UnsupportedStoreOperationError('memcached', 'all', 'no key listing'),
  new storeErrors.StoreClosedError('memory'),
  new storeErrors.StoreOptionsError('ttl must be positive'),
  new storeErrors.SessionDecodeError('redis', 'sess:1'),
  new registryErrors.RegistryUnavailableError('redis://127.0.0.1:1', 1000),
  new registryErrors.NoServerError('api'),
  new registryErrors.NoCapacityError('api', 10, 50),
  new registryErrors.UnknownServerError('s-1'),
  new registryErrors.InvalidRegistrationError('port missing'),
];

describe('every onelink error class across the wire', () => {
  it('is registered under the code its instances carry, and every registered class has a sample here', () => {
    for (const sample of samples) assert.equal(registeredErrorClasses().get(sample.code), sample.constructor, sample.code);
    const sampled = new Set(samples.map((sample) => sample.constructor));
    for (const [code, Class] of registeredErrorClasses()) assert.ok(sampled.has(Class), `${code} (${Class.name}) has no sample`);
  });

  it('every exported error class of lib/errors, stores and registry is registered', () => {
    const registered = new Set(registeredErrorClasses().values());
    for (const module of [coreErrors, storeErrors, registryErrors]) {
      for (const [name, value] of Object.entries(module)) {
        if (typeof value === 'function' && value.prototype instanceof OnelinkError) assert.ok(registered.has(value as never), name);
      }
    }
  });

  it('are all registered in a process that loaded only the package entry, so its replies come back as their classes', () => {
    // A follower's code may never load the stores or the registry itself; the registry of classes is
    // per process, so a fresh one is needed.
    const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      await import(${JSON.stringify(new URL('../../../lib/index.ts', import.meta.url).href)});
      const { registeredErrorClasses } = await import(${JSON.stringify(new URL('../../../protocol/errors.ts', import.meta.url).href)});
      console.log(JSON.stringify([...registeredErrorClasses()].map(([code, Class]) => [code, Class.name])));
    `], { encoding: 'utf8', timeout: 15000 });
    assert.equal(run.status, 0, run.stderr);
    const registered = new Map<string, string>(JSON.parse(run.stdout) as Array<[string, string]>);
    for (const sample of samples) assert.equal(registered.get(sample.code), sample.name, sample.code);
  });

  for (const sample of samples) {
    it(`${sample.name} (${sample.code}) comes back as its class, with message, stack and own properties`, () => {
      const copy = errorFromWire(decodeValue(encodeValue(errorToWire(sample)))) as OnelinkError & Record<string, unknown>;
      assert.equal(Object.getPrototypeOf(copy), Object.getPrototypeOf(sample));
      assert.ok(copy instanceof OnelinkError);
      assert.equal(copy.name, sample.name);
      assert.equal(copy.message, sample.message);
      assert.equal(copy.code, sample.code);
      assert.equal(copy.stack, sample.stack);
      for (const [key, value] of Object.entries(sample)) assert.deepEqual(copy[key], value, key);
    });
  }
});

describe('InvalidOptionError', () => {
  it('names the option, the value and the valid range', () => {
    const err = new coreErrors.InvalidOptionError('delegate "get" to', 'invokeTwice', 'one of invoke, invokeOneway');
    assert.equal(err.code, 'ERR_ONELINK_INVALID_OPTION');
    assert.equal(err.option, 'delegate "get" to');
    assert.equal(err.value, 'invokeTwice');
    assert.equal(err.message, 'invalid option delegate "get" to: "invokeTwice"; expected one of invoke, invokeOneway');
  });
});

describe('invalid options and arguments are InvalidOptionError', () => {
  class Data {
    async get(): Promise<number> {
      return 1;
    }

    emit(): void {}
  }

  const rejects = (fn: () => unknown, option: string, message: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof coreErrors.InvalidOptionError && err.code === 'ERR_ONELINK_INVALID_OPTION' && err.option === option && message.test(err.message));

  it('a delegate kind outside the list, a Client that is not a class, a delegate named like a member, a listener that is not a function', async () => {
    const { cluster } = await import('../../../lib/index.js');
    rejects(() => toDelegateSpec('invokeTwice' as never), 'delegate "to"', /"invokeTwice"; expected one of invoke, invokeOneway, subscribe, unSubscribe, publish, close/);
    rejects(() => cluster(42 as never), 'cluster(Client, options): Client', /42; expected a class/);
    rejects(() => cluster(Data, { singleMode: true }).delegate('emit').create(), 'a delegated name', /"emit" cannot be delegated: invalid option a delegated name: "emit"; expected one the cluster client/);
    const client = cluster(Data, { singleMode: true, name: 'invalid-option-test' }).create();
    try {
      rejects(() => client.subscribe({ key: 'k' }, 'not a function' as never), 'subscribe(reg, listener): listener', /"not a function"; expected a function/);
    } finally {
      await client.close();
    }
  });
});
