// What a process knows about one channel: the DataClient class, its constructor arguments,
// and how each method is delegated. Only the leader uses it to construct the DataClient.
import type { ChannelAgreement } from '../protocol/index.js';
import { createHash } from 'node:crypto';
import { InvalidOptionError } from './errors.js';
import type { DelegateKind, DelegateSpec, ResolvedOptions } from './options.js';

/** Any DataClient class: `cluster(Client)` takes a class whatever its constructor's parameters, and the leader constructs it with the arguments `create()` checked against them. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a constructor type as a generic constraint: with unknown[] no class with typed parameters fits, with never[] it cannot be constructed
export type DataClientClass = new (...args: any[]) => object;

/**
 * A DataClient instance as the leader uses it: its members are looked up by name (the delegated
 * methods, ready, close, emit, exportState...), and each is checked before it is used.
 */
export interface DataClient {
  [member: string]: unknown;
}

/** A member of a DataClient that can be called; what it takes and returns is known only at run time. */
export type Method = (...args: unknown[]) => unknown;

export function isMethod(value: unknown): value is Method {
  return typeof value === 'function';
}

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
    throw new InvalidOptionError('delegate "to"', spec.to, `one of ${DELEGATE_KINDS.join(', ')}`);
  }
  return spec;
}

/** Methods of the class itself and its own base classes, not of Object / EventEmitter / sdk-base. */
function publicMethods(Client: DataClientClass): Set<string> {
  const methods = new Set<string>();
  for (let proto: object | null = Client.prototype; proto && !isLibraryPrototype(proto); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(proto, name)?.value === 'function') methods.add(name);
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

/** A method anywhere on the class's prototype chain but Object's (accessors are not called to find out). */
function hasMethod(Client: DataClientClass, name: string): boolean {
  for (let proto: object | null = Client.prototype; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, name);
    if (descriptor) return typeof descriptor.value === 'function';
  }
  return false;
}

/**
 * Which methods the created client routes to the leader's DataClient, and how. autoGenerate takes
 * every public method of the class (sync ones too: the created client's type offers them all),
 * except `_`-prefixed ones, the lifecycle hooks the leader calls itself, and names the created client
 * has itself (`isClientMember`: on, emit...), which would shadow it. Explicit delegates must name a
 * method of the class, and `idempotent` delegated methods.
 */
export function buildDelegates(
  Client: DataClientClass,
  explicit: Map<string, DelegateSpec>,
  options: ResolvedOptions,
  isClientMember: (name: string) => boolean = () => false,
): Record<string, DelegateSpec> {
  const delegates: Record<string, DelegateSpec> = {};
  if (options.autoGenerate) {
    for (const name of publicMethods(Client)) {
      if (SAME_NAME_KINDS.includes(name as DelegateKind)) delegates[name] = { to: name as DelegateKind };
      else if (!name.startsWith('_') && !NOT_DELEGATED.includes(name) && !isClientMember(name)) delegates[name] = { to: 'invoke' };
    }
  }
  for (const [name, spec] of explicit) {
    if (!hasMethod(Client, name)) throw new InvalidOptionError('delegate', name, `the name of a method of ${Client.name || 'the DataClient class'}`);
    if (name !== spec.to && isClientMember(name)) throw new InvalidOptionError('a delegated name', name, 'one the cluster client does not use itself (on, emit, ready...)', `"${name}" cannot be delegated`);
    delegates[name] = spec;
  }
  for (const name of options.idempotent) {
    if (!Object.hasOwn(delegates, name)) throw new InvalidOptionError('idempotent', name, 'names of delegated methods');
    delegates[name] = { ...delegates[name], idempotent: true };
  }
  return delegates;
}

export type { ChannelAgreement };

export function agreementOf(spec: ChannelSpec): ChannelAgreement {
  const delegates: Record<string, string> = {};
  for (const name of Object.keys(spec.delegates).sort()) delegates[name] = spec.delegates[name].to;
  const { isBroadcast, allowDifferentArgs } = spec.options;
  return { className: spec.Client.name, delegates, isBroadcast, argsDigest: argsDigest(spec.args), allowDifferentArgs };
}

export function argsDigest(args: unknown[]): string {
  return createHash('sha256').update(stableEncoding(args)).digest('hex');
}

/**
 * One string per value, the same in every process for equal arguments: object keys sorted, keys
 * whose value is undefined left out, numbers, strings, bigints, Buffers, Dates, Maps and Sets by
 * value. A function counts by its name and arity, and any other class instance (a logger, a
 * socket, an agent) by its class name only: those are the process's own and differ between
 * processes that are still the same client.
 */
export function stableEncoding(value: unknown, seen: Set<object> = new Set()): string {
  switch (typeof value) {
    case 'undefined':
      return 'u';
    case 'boolean':
      return value ? 'T' : 'F';
    case 'number':
      return `n${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `i${value}`;
    case 'string':
      return JSON.stringify(value);
    case 'symbol':
      return `y${JSON.stringify(value.description ?? '')}`;
    case 'function':
      return `f${JSON.stringify(value.name)}/${value.length}`;
    default:
      break;
  }
  if (value === null) return 'N';
  const object = value as object;
  if (seen.has(object)) return 'cycle';
  seen.add(object);
  try {
    return encodeObject(object, seen);
  } finally {
    seen.delete(object);
  }
}

function encodeObject(object: object, seen: Set<object>): string {
  const encode = (v: unknown) => stableEncoding(v, seen);
  if (Array.isArray(object)) return `[${object.map(encode).join(',')}]`;
  if (ArrayBuffer.isView(object)) {
    return `${object.constructor.name}:${Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('hex')}`;
  }
  if (object instanceof Date) return `D${object.getTime()}`;
  if (object instanceof Map) return `M{${[...object].map(([k, v]) => `${encode(k)}:${encode(v)}`).sort().join(',')}}`;
  if (object instanceof Set) return `S{${[...object].map(encode).sort().join(',')}}`;
  const proto = Object.getPrototypeOf(object);
  if (proto !== Object.prototype && proto !== null) return `o${JSON.stringify(object.constructor?.name ?? '')}`;
  const record = object as Record<string, unknown>;
  const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
  return `{${keys.map((key) => `${JSON.stringify(key)}:${encode(record[key])}`).join(',')}}`;
}

/**
 * Names what differs between two agreements, field by field, or null when they agree: what would make
 * the calls of one client go wrong on the other's DataClient, or serve it from another configuration.
 * Constructor arguments are named by their digests (never their content), and count only where
 * both sides refuse other arguments (allowDifferentArgs, itself part of the agreement). The second
 * agreement may come from the wire, so it is checked as untrusted data.
 */
export function disagreement(mine: ChannelAgreement, theirs: unknown, labels: [string, string] = ['leader', 'follower']): string | null {
  const [first, second] = labels;
  if (!isAgreement(theirs)) return `the ${second}'s agreement is not one this version understands`;
  const problems: string[] = [];
  if (mine.className !== theirs.className) problems.push(`DataClient class: ${first} ${mine.className || '(anonymous)'}, ${second} ${theirs.className || '(anonymous)'}`);
  if (mine.isBroadcast !== theirs.isBroadcast) problems.push(`isBroadcast: ${first} ${mine.isBroadcast}, ${second} ${theirs.isBroadcast}`);
  if (mine.allowDifferentArgs !== theirs.allowDifferentArgs) {
    problems.push(`allowDifferentArgs: ${first} ${mine.allowDifferentArgs}, ${second} ${theirs.allowDifferentArgs}`);
  } else if (!mine.allowDifferentArgs && mine.argsDigest !== theirs.argsDigest) {
    problems.push(`constructor arguments: ${first} digest ${mine.argsDigest.slice(0, 12)}…, ${second} ${theirs.argsDigest.slice(0, 12)}… ` +
      '(if each process is meant to pass its own, as egg-watcher does, set allowDifferentArgs: true on every client of the name)');
  }
  const names = new Set([...Object.keys(mine.delegates), ...Object.keys(theirs.delegates)]);
  for (const name of [...names].sort()) {
    const a = Object.hasOwn(mine.delegates, name) ? mine.delegates[name] : undefined;
    const b = Object.hasOwn(theirs.delegates, name) ? theirs.delegates[name] : undefined;
    if (a !== b) problems.push(`delegate "${name}": ${first} ${a ?? 'none'}, ${second} ${b ?? 'none'}`);
  }
  return problems.length ? problems.join('; ') : null;
}


function isAgreement(value: unknown): value is ChannelAgreement {
  const a = value as ChannelAgreement | null;
  return typeof a === 'object' && a !== null
    && typeof a.className === 'string' && typeof a.argsDigest === 'string' && typeof a.isBroadcast === 'boolean' && typeof a.allowDifferentArgs === 'boolean'
    && typeof a.delegates === 'object' && a.delegates !== null && Object.values(a.delegates).every((kind) => typeof kind === 'string');
}
