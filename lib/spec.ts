// What a process knows about one channel: the DataClient class, its constructor arguments,
// and how each method is delegated. Only the leader uses it to construct the DataClient.
import type { ChannelAgreement } from './messages.js';
import type { DelegateKind, DelegateSpec, ResolvedOptions } from './options.js';

export type DataClientClass = new (...args: any[]) => any;

export interface ChannelSpec {
  Client: DataClientClass;
  args: unknown[];
  overrides: Record<string, unknown>;
  delegates: Record<string, DelegateSpec>;
  options: ResolvedOptions;
}

const DELEGATE_KINDS: readonly DelegateKind[] = ['invoke', 'invokeOneway', 'subscribe', 'unSubscribe', 'publish', 'close'];
const SAME_NAME_KINDS: readonly DelegateKind[] = ['subscribe', 'unSubscribe', 'publish', 'close'];
/** Lifecycle hooks the leader calls itself; `_`-prefixed methods are private by convention (sdk-base's `_close`). */
const NOT_DELEGATED = ['ready', 'exportState', 'importState'];

export function toDelegateSpec(to: DelegateKind | DelegateSpec | undefined): DelegateSpec {
  const spec = typeof to === 'object' ? { ...to } : { to: to ?? 'invoke' };
  if (!DELEGATE_KINDS.includes(spec.to)) {
    throw new TypeError(`delegate "to" must be one of ${DELEGATE_KINDS.join(', ')}; got ${String(spec.to)}`);
  }
  return spec;
}

/** Methods of the class itself and its own base classes, not of Object / EventEmitter / sdk-base. */
function ownMethods(Client: DataClientClass): Map<string, Function> {
  const methods = new Map<string, Function>();
  for (let proto = Client.prototype; proto && !isLibraryPrototype(proto); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || methods.has(name)) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor && typeof descriptor.value === 'function') methods.set(name, descriptor.value);
    }
  }
  return methods;
}

function isLibraryPrototype(proto: object): boolean {
  const name = (proto as { constructor?: { name?: string } }).constructor?.name;
  return proto === Object.prototype || name === 'EventEmitter' || name === 'Base';
}

export function isAsync(fn: Function): boolean {
  return fn.constructor?.name === 'AsyncFunction';
}

export function buildDelegates(Client: DataClientClass, explicit: Map<string, DelegateSpec>, options: ResolvedOptions): Record<string, DelegateSpec> {
  const delegates: Record<string, DelegateSpec> = {};
  if (options.autoGenerate) {
    for (const [name, fn] of ownMethods(Client)) {
      if (SAME_NAME_KINDS.includes(name as DelegateKind)) delegates[name] = { to: name as DelegateKind };
      else if (isAsync(fn) && !name.startsWith('_') && !NOT_DELEGATED.includes(name)) delegates[name] = { to: 'invoke' };
    }
  }
  for (const [name, spec] of explicit) delegates[name] = spec;
  for (const name of options.idempotent) {
    if (delegates[name]) delegates[name] = { ...delegates[name], idempotent: true };
  }
  return delegates;
}

export function agreementOf(spec: ChannelSpec): ChannelAgreement {
  const delegates: Record<string, string> = {};
  for (const name of Object.keys(spec.delegates).sort()) delegates[name] = spec.delegates[name].to;
  return { delegates, isBroadcast: spec.options.isBroadcast };
}

/** Names what differs between two agreements, or null when they agree. */
export function disagreement(leader: ChannelAgreement, follower: ChannelAgreement, labels: [string, string] = ['leader', 'follower']): string | null {
  const [first, second] = labels;
  const problems: string[] = [];
  if (leader.isBroadcast !== follower.isBroadcast) problems.push(`isBroadcast: ${first} ${leader.isBroadcast}, ${second} ${follower.isBroadcast}`);
  const names = new Set([...Object.keys(leader.delegates), ...Object.keys(follower.delegates)]);
  for (const name of [...names].sort()) {
    const a = leader.delegates[name];
    const b = follower.delegates[name];
    if (a !== b) problems.push(`delegate "${name}": ${first} ${a ?? 'none'}, ${second} ${b ?? 'none'}`);
  }
  return problems.length ? problems.join('; ') : null;
}
