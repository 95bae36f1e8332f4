// The method table the registry's delegation and pass-throughs come from agrees with RegistryClient.
import assert from 'node:assert/strict';
import { Registry } from '../../lib/registry/registry.js';
import { RegistryClient } from '../../lib/registry/registry-client.js';
import { PASS_THROUGH_METHODS, REGISTRY_METHODS, type RegistryMethod } from '../../lib/registry/shared-methods.js';

/** RegistryClient's own members that a process never calls: the cluster client has its own ready/close, the rest is private. */
const NOT_DELEGATED = new Set(['constructor', 'ready', 'close', 'start', 'ttl', 'candidates', 'sweepAndCheck', 'onBackendEvent', 'onForward']);

describe('registry method table', () => {
  it('lists every method of RegistryClient, and nothing else', () => {
    const methods = Object.getOwnPropertyNames(RegistryClient.prototype).filter((name) => !NOT_DELEGATED.has(name));
    assert.deepEqual(Object.keys(REGISTRY_METHODS).sort(), methods.sort());
    for (const name of Object.keys(REGISTRY_METHODS)) {
      assert.equal(typeof Object.getOwnPropertyDescriptor(RegistryClient.prototype, name)?.value, 'function', name);
    }
  });

  it('is checked against RegistryClient by the compiler', () => {
    const { pick: _pick, ...withoutPick } = REGISTRY_METHODS;
    // @ts-expect-error a table missing one of RegistryClient's methods does not type-check
    const missing: Record<RegistryMethod, unknown> = withoutPick;
    // @ts-expect-error nor does one naming a method RegistryClient does not have
    const extra: Record<RegistryMethod, unknown> = { ...REGISTRY_METHODS, forwardEverywhere: REGISTRY_METHODS.pick };
    assert.ok(missing && extra);
  });

  it('re-sends only what is safe to run twice, and waits for no answer only to report()', () => {
    const idempotent = Object.entries(REGISTRY_METHODS).filter(([, spec]) => 'idempotent' in spec.delegate && spec.delegate.idempotent).map(([name]) => name);
    for (const once of ['pick', 'forwardServer', 'forwardBroadcast', 'forwardConnections']) assert.ok(!idempotent.includes(once), once);
    const oneway = Object.entries(REGISTRY_METHODS).filter(([, spec]) => spec.delegate.to === 'invokeOneway').map(([name]) => name);
    assert.deepEqual(oneway, ['report']);
  });

  it('gives Registry one forwarding method per pass-through, calling the same method of the shared client', async () => {
    const calls: Array<[string, unknown[]]> = [];
    const shared = Object.fromEntries(PASS_THROUGH_METHODS.map((name) => [name, (...args: unknown[]) => { calls.push([name, args]); return Promise.resolve(name); }]));
    for (const name of PASS_THROUGH_METHODS) {
      assert.equal(typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(Registry.prototype), name)?.value, 'function', name);
      const method = (Registry.prototype as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[name];
      assert.equal(await method.call({ shared }, 'a', 1), name);
    }
    assert.deepEqual(calls, PASS_THROUGH_METHODS.map((name) => [name, ['a', 1]]));
    assert.ok(!(PASS_THROUGH_METHODS as string[]).includes('register'), 'register does more than forward');
  });
});
