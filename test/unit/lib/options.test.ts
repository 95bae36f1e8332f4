import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { cluster, InvalidOptionError } from '../../../lib/index.js';
import { resolveOptions, stableKey, type ClusterOptions } from '../../../lib/options.js';

/** Asserts that resolving these options throws InvalidOptionError naming the option and the value. */
function rejects(options: Record<string, unknown>, option: string, value: unknown, range: RegExp): void {
  assert.throws(() => resolveOptions(options as ClusterOptions, 'Sample'), (err: unknown) => {
    assert.ok(err instanceof InvalidOptionError, String(err));
    assert.equal(err.name, 'InvalidOptionError');
    assert.equal(err.code, 'ERR_ONELINK_INVALID_OPTION');
    assert.equal(err.option, option);
    assert.ok(Object.is(err.value, value), `value ${String(err.value)}`);
    assert.match(err.message, new RegExp(`^invalid option ${option}: `));
    assert.match(err.message, range);
    return true;
  });
}

describe('options', () => {
  const saved = { ...process.env };
  beforeEach(() => {
    delete process.env.NODE_CLUSTER_CLIENT_PORT;
    delete process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE;
  });
  afterEach(() => {
    process.env = { ...saved };
  });

  it('fills documented defaults and takes the class name as channel name', () => {
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
    process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE = '0';
    assert.equal(resolveOptions({}, 'x').singleMode, false);
    process.env.NODE_CLUSTER_CLIENT_PORT = '';
    assert.equal(resolveOptions({}, 'x').port, 7777);
  });

  it('logs info, warn and error to the console by default, and debug only with NODE_DEBUG=onelink', () => {
    const logger = resolveOptions({}, 'x').logger;
    assert.equal(typeof logger.info, 'function');
    assert.equal(typeof logger.error, 'function');
    // util.debuglog reads NODE_DEBUG once per process: a fresh process for each setting.
    const debugLine = (nodeDebug: string) => spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      const { resolveOptions } = await import(${JSON.stringify(new URL('../../../lib/options.ts', import.meta.url).href)});
      resolveOptions({}, 'x').logger.debug('[onelink] a milestone', 42);
    `], { env: { ...process.env, NODE_DEBUG: nodeDebug }, encoding: 'utf8' }).stderr;
    assert.match(debugLine('onelink'), /^ONELINK \d+: \[onelink\] a milestone 42$/m);
    assert.equal(debugLine(''), '');
  });

  it('ignores options given as undefined, and keys it does not know', () => {
    assert.equal(resolveOptions({ responseTimeout: undefined }, 'x').responseTimeout, 3000);
    const options = resolveOptions({ eggSpecific: 'kept' } as ClusterOptions, 'x') as unknown as Record<string, unknown>;
    assert.equal(options.eggSpecific, 'kept');
  });

  it('accepts the bounds of every range', () => {
    for (const port of [1, 65535]) assert.equal(resolveOptions({ port }, 'x').port, port);
    for (const maxFrameSize of [64 * 1024, 2 ** 31 - 1]) assert.equal(resolveOptions({ maxFrameSize }, 'x').maxFrameSize, maxFrameSize);
    for (const responseTimeout of [1, 2 ** 31 - 1]) assert.equal(resolveOptions({ responseTimeout }, 'x').responseTimeout, responseTimeout);
    assert.equal(resolveOptions({ name: 'n'.repeat(256) }, 'x').name.length, 256);
    const logger = { info() {}, warn() {}, error() {}, debug() {} };
    assert.equal(resolveOptions({ logger }, 'x').logger, logger);
  });

  it('rejects a port that is not an integer from 1 to 65535', () => {
    for (const port of [0, -1, 70000, 1.5, Number.NaN, 'abc', '7777']) rejects({ port }, 'port', port, /expected an integer from 1 to 65535$/);
  });

  it('rejects a NODE_CLUSTER_CLIENT_PORT that is not a port instead of falling back to 7777', () => {
    for (const text of ['abc', '0', '70000', '1.5', '-1', '12abc']) {
      process.env.NODE_CLUSTER_CLIENT_PORT = text;
      assert.throws(() => resolveOptions({}, 'x'), (err: unknown) => err instanceof InvalidOptionError && err.option === 'NODE_CLUSTER_CLIENT_PORT' && /from 1 to 65535/.test(err.message));
    }
    // An explicit port does not read the environment at all.
    assert.equal(resolveOptions({ port: 4000 }, 'x').port, 4000);
  });

  it('rejects a NODE_CLUSTER_CLIENT_SINGLE_MODE other than "1" or "0"', () => {
    process.env.NODE_CLUSTER_CLIENT_SINGLE_MODE = 'true';
    rejects({}, 'NODE_CLUSTER_CLIENT_SINGLE_MODE', 'true', /"1" \(on\)/);
  });

  for (const option of ['maxWaitTime', 'connectTimeout', 'responseTimeout', 'heartbeatInterval', 'subscribeTimeout']) {
    it(`rejects a ${option} that is not a positive integer of at most 2^31 - 1 ms`, () => {
      for (const value of [0, -1, 1500.5, 2 ** 31, 2 ** 32, Number.NaN, Number.POSITIVE_INFINITY, '3000']) {
        rejects({ [option]: value }, option, value, /expected an integer from 1 to 2147483647 ms$/);
      }
    });
  }

  it('rejects a heartbeatMaxMisses or maxQueuedCalls that is not a positive integer', () => {
    for (const option of ['heartbeatMaxMisses', 'maxQueuedCalls']) {
      for (const value of [0, -3, 2.5, '3']) rejects({ [option]: value }, option, value, /expected an integer from 1 to/);
    }
  });

  it('rejects a maxFrameSize outside 64 KiB .. 2 GiB - 1', () => {
    for (const value of [-1, 0, 64 * 1024 - 1, 2 ** 31, 1e6 + 0.5]) {
      rejects({ maxFrameSize: value }, 'maxFrameSize', value, /from 65536 to 2147483647 bytes/);
    }
  });

  it('rejects booleans that are not booleans', () => {
    for (const option of ['singleMode', 'isCheckHeartbeat', 'isBroadcast', 'autoGenerate']) {
      for (const value of [1, 'false', null]) rejects({ [option]: value }, option, value, /expected true or false$/);
    }
    rejects({ isLeader: 'agent' }, 'isLeader', 'agent', /true, false or undefined/);
  });

  it('rejects an idempotent that is not an array of names', () => {
    for (const value of ['echo', [1], { echo: true }]) rejects({ idempotent: value }, 'idempotent', value, /array of delegated method names/);
  });

  it('rejects a transcode, formatKey or logger of the wrong shape', () => {
    for (const value of [JSON, { encode() {} }, null]) rejects({ transcode: value }, 'transcode', value, /encode and decode functions/);
    rejects({ formatKey: 'key' }, 'formatKey', 'key', /a function/);
    for (const value of [{ info() {}, warn() {} }, { info() {}, warn() {}, error() {}, debug: true }, 'console']) {
      rejects({ logger: value }, 'logger', value, /info, warn and error functions/);
    }
  });

  it('rejects a name that is empty, not a string or too long for the wire', () => {
    for (const value of ['', 42, 'n'.repeat(257)]) rejects({ name: value }, 'name', value, /non-empty string of at most 256 characters/);
  });

  it('rejects options that are not an object', () => {
    rejects(null as never, 'options', null, /an object/);
  });

  it('describes the value in the message', () => {
    assert.throws(() => resolveOptions({ port: 'abc' } as never, 'x'), { message: 'invalid option port: "abc"; expected an integer from 1 to 65535' });
    assert.throws(() => resolveOptions({ formatKey: 'k' } as never, 'x'), /invalid option formatKey: "k"/);
    assert.throws(() => resolveOptions({ responseTimeout: 1500.5 }, 'x'), { message: 'invalid option responseTimeout: 1500.5; expected an integer from 1 to 2147483647 ms' });
  });

  it('fails in cluster(), before any socket or timer exists', () => {
    class Sample {}
    assert.throws(() => cluster(Sample, { port: 0 }), { code: 'ERR_ONELINK_INVALID_OPTION', option: 'port' });
    assert.throws(() => cluster(Sample, { connectTimeout: 0 }), { code: 'ERR_ONELINK_INVALID_OPTION', option: 'connectTimeout' });
  });

  it('makes the same subscription key whatever the order of object keys', () => {
    assert.equal(stableKey({ a: 1, b: { d: 2, c: 3 } }), stableKey({ b: { c: 3, d: 2 }, a: 1 }));
    assert.notEqual(stableKey({ a: 1 }), stableKey({ a: 2 }));
  });
});
