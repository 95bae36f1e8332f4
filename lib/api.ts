// The public API, compatible with cluster-client 3.x:
// cluster(Client, options).delegate(name, to).override(name, value).create(...args)
import type { EventEmitter } from 'node:events';
import { Base, type BaseOptions } from 'sdk-base';
import { agentFor, type Agent, type ClientStats } from './agent.js';
import type { ChannelMember, LocalChannel } from './channel.js';
import { ClientClosedError, InvalidOptionError } from './errors.js';
import { resolveOptions, type ClusterOptions, type DelegateKind, type DelegateSpec, type ResolvedOptions } from './options.js';
import { buildDelegates, toDelegateSpec, type ChannelSpec, type DataClientClass } from './spec.js';

/** Any function: every function type is assignable to it (its parameters take `never`, what it returns is `unknown`). */
type AnyFunction = (...args: never[]) => unknown;
/**
 * A listener of values of a type only the DataClient knows. Declared as a method, whose parameters
 * are bivariant, so that a listener annotated with the type it expects is accepted; an unannotated
 * one gets `unknown`.
 */
type Listener = { listen(value: unknown): void }['listen'];
/** A node-style callback, the last argument of a delegated call in the cluster-client style. */
type NodeCallback = (err: unknown, value?: unknown) => void;

/** The `reg` a subscribe- or publish-like method takes (its first parameter), or unknown when it takes none. */
type RegParam<F> = F extends (reg: infer R, ...rest: never[]) => unknown ? R : unknown;
/** The listener a subscribe-like method takes, or any function of a value. */
type ListenerParam<F> = F extends (reg: never, listener: infer L, ...rest: never[]) => unknown ? (L extends Listener ? L : Listener) : Listener;
type RegOf<T, M extends string> = M extends keyof T ? RegParam<T[M]> : unknown;
type ListenerOf<T> = 'subscribe' extends keyof T ? ListenerParam<T['subscribe']> : Listener;

/** Members every cluster client has; `subscribe`, `unSubscribe` and `publish` take the `reg` of T's own methods. */
export interface ClusterClientBase<T = unknown> extends EventEmitter {
  /** Resolves once the channel is open on a leader; rejects with the DataClient's init error. */
  ready(): Promise<void>;
  ready(callback: (err?: Error) => void): void;
  readonly isClusterClientLeader: boolean;
  /** The calls of this client's name in this process (counts, errors by code, latency), and this process's role. */
  stats(): ClientStats;
  subscribe(reg: RegOf<T, 'subscribe'>, listener: ListenerOf<T>): this;
  unSubscribe(reg: RegOf<T, 'subscribe'>, listener?: ListenerOf<T>): void;
  publish(reg: RegOf<T, 'publish'>): Promise<void>;
  close(): Promise<void>;
}

/** Names the cluster client has itself, or that are never delegated (`_`-prefixed, the state hooks). */
type ReservedKey = keyof ClusterClientBase | 'options' | 'await' | 'readyOrTimeout' | 'localStorage' | 'isClosed' | 'exportState' | 'importState' | `_${string}`;

/** Names of the methods of a DataClient instance: what `delegate()` accepts. */
export type MethodName<T> = { [K in keyof T]-?: T[K] extends AnyFunction ? K : never }[keyof T] & string;

/** The kind each explicitly delegated method was given, as the builder records it. */
export type DelegateKinds = Record<string, DelegateKind>;

/** The kind of `delegate(name, to)`: `to`, or its `to` property, or 'invoke' when absent. */
export type KindOf<S> = S extends { to: infer K } ? K : S extends DelegateKind ? S : 'invoke';

/**
 * A method that returns a Promise keeps its own signature as written, so that its type parameters
 * and overloads survive (`infer` would erase them); any other keeps its parameters and returns a
 * Promise of its awaited result.
 */
type Promised<F> = F extends (...args: never[]) => Promise<unknown> ? F : F extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;

/** What the created client's method is for each delegate kind (`invokeOneway` returns nothing, as in cluster-client). */
type Delegated<T, F, K> = K extends 'invokeOneway'
  ? F extends (...args: infer A) => unknown ? (...args: A) => void : never
  : K extends 'subscribe'
    ? (reg: RegParam<F>, listener: ListenerParam<F>) => ClusterClientBase<T>
    : K extends 'unSubscribe'
      ? (reg: RegParam<F>, listener?: ListenerParam<F>) => void
      : K extends 'publish'
        ? (reg: RegParam<F>) => Promise<void>
        : K extends 'close'
          ? () => Promise<void>
          : Promised<F>;

/**
 * The delegated methods of the created client. With autoGenerate (A true) every public method of
 * the DataClient (sync ones included) returns a Promise; without it (`autoGenerate: false` written
 * as such), only the methods delegated explicitly exist. D records the kinds of those.
 */
export type Promisified<T, D extends DelegateKinds = Record<never, never>, A extends boolean = true> = {
  [K in keyof T as K extends ReservedKey ? never : T[K] extends AnyFunction ? (A extends true ? K : K extends keyof D ? K : never) : never]: K extends keyof D
    ? Delegated<T, T[K], D[K]>
    : Promised<T[K]>;
};

export type ClusterClient<T, D extends DelegateKinds = Record<never, never>, A extends boolean = true> = Promisified<T, D, A> & ClusterClientBase<T>;

/** Whether options make the created client delegate every method: false only for a literal `autoGenerate: false`. */
export type AutoGenerateOf<O> = O extends { autoGenerate: false } ? false : true;

export class ClusterClientBuilder<C extends DataClientClass, D extends DelegateKinds = Record<never, never>, A extends boolean = true> {
  private readonly delegates = new Map<string, DelegateSpec>();
  private readonly overrides: Record<string, unknown> = {};

  private readonly options: ResolvedOptions;

  constructor(private readonly Client: C, options: ClusterOptions = {}) {
    if (typeof Client !== 'function') throw new InvalidOptionError('cluster(Client, options): Client', Client, 'a class');
    // Checked here, so that a wrong option fails where it is written, not later in a timer.
    this.options = resolveOptions(options, Client.name || 'DataClient');
  }

  /** Routes `name` to the leader's DataClient as `to` (default invoke). `{ to, idempotent: true }` allows re-sending after a failover. */
  delegate<K extends MethodName<InstanceType<C>>, const S extends DelegateKind | DelegateSpec = 'invoke'>(
    name: K,
    to?: S,
  ): ClusterClientBuilder<C, Omit<D, K> & Record<K, KindOf<S>>, A> {
    this.delegates.set(name, toDelegateSpec(to));
    return this as unknown as ClusterClientBuilder<C, Omit<D, K> & Record<K, KindOf<S>>, A>;
  }

  /** Sets `name` to `value` on the created client (and on the DataClient where the leader creates it). */
  override(name: string, value: unknown): this {
    this.overrides[name] = value;
    return this;
  }

  create(...args: ConstructorParameters<C>): ClusterClient<InstanceType<C>, D, A> {
    const options = this.options;
    const delegates = buildDelegates(this.Client, this.delegates, options, (name) => name in ClusterClientImpl.prototype);
    const spec: ChannelSpec = { Client: this.Client, args, overrides: { ...this.overrides }, delegates, options };
    return new ClusterClientImpl(spec) as unknown as ClusterClient<InstanceType<C>, D, A>;
  }
}

class ClusterClientImpl extends Base implements ChannelMember {
  readonly #agent: Agent;
  readonly #channel: LocalChannel;

  readonly mayLead: boolean;

  constructor(spec: ChannelSpec) {
    super({});
    this.mayLead = spec.options.isLeader !== false;
    this.#agent = agentFor(spec.options);
    this.#channel = this.#agent.join(this, spec);
    this.#channel.ready.then(() => this.ready(true), (err: Error) => this.ready(err));
    for (const [name, delegate] of Object.entries(spec.delegates)) {
      const method = this.#methodFor(name, delegate);
      if (method) this.#setMember(name, method);
    }
    for (const [name, value] of Object.entries(spec.overrides)) this.#setMember(name, value);
  }

  /** A delegated method or an override becomes a member of this instance, as an assignment (`this[name] = value`) would make it. */
  #setMember(name: string, value: unknown): void {
    Object.assign(this, { [name]: value });
  }

  /** As in cluster-client: one client per name on the machine (every client in single mode). */
  get isClusterClientLeader(): boolean {
    if (!this.#agent.isLeader) return false;
    return this.#channel.spec.options.singleMode || this.#channel.leadingMember() === this;
  }

  stats(): ClientStats {
    return this.#agent.stats(this.#channel);
  }

  /** The member a delegated name gets, or undefined where the class's own method serves (subscribe, publish...). */
  #methodFor(name: string, delegate: DelegateSpec): AnyFunction | undefined {
    if (name === delegate.to) return undefined;
    switch (delegate.to) {
      case 'subscribe':
        return (reg: unknown, listener: Listener) => this.subscribe(reg, listener);
      case 'unSubscribe':
        return (reg: unknown, listener?: Listener) => this.unSubscribe(reg, listener);
      case 'publish':
        return (reg: unknown) => this.publish(reg);
      case 'close':
        return () => this.close();
      default: {
        const oneway = delegate.to === 'invokeOneway';
        const idempotent = delegate.idempotent === true;
        return (...args: unknown[]) => {
          // cluster-client style: a function as last argument is a node-style callback.
          const callback = typeof args[args.length - 1] === 'function' ? (args.pop() as NodeCallback) : null;
          const result = this.isClosed
            ? Promise.reject(new ClientClosedError(this.#channel.name))
            : this.#agent.invoke(this.#channel, name, args, idempotent, oneway);
          if (oneway && !callback) {
            // cluster-client's invokeOneway returns nothing: a call that could not be sent is logged.
            result.catch((err) => this.#agent.logger.warn(`[onelink] invokeOneway "${name}" of "${this.#channel.name}" was not sent:`, err));
            return undefined;
          }
          if (!callback) return result;
          result.then((value) => callback(null, value), (err) => callback(err));
          return undefined;
        };
      }
    }
  }

  subscribe(reg: unknown, listener: Listener): this {
    if (typeof listener !== 'function') throw new InvalidOptionError('subscribe(reg, listener): listener', listener, 'a function');
    if (this.isClosed) throw new ClientClosedError(this.#channel.name);
    this.#agent.subscribe(this.#channel, this, reg, listener);
    return this;
  }

  /** Returns nothing, as cluster-client's. */
  unSubscribe(reg: unknown, listener?: Listener): void {
    this.#agent.unsubscribe(this.#channel, this, reg, listener);
  }

  publish(reg: unknown): Promise<void> {
    if (this.isClosed) return Promise.reject(new ClientClosedError(this.#channel.name));
    return this.#agent.publish(this.#channel, reg);
  }

  emitFromDataClient(event: string | symbol, args: unknown[]): void {
    this.emit(event, ...args);
  }

  protected async _close(): Promise<void> {
    await this.#agent.leave(this.#channel, this);
  }
}

/** Wraps a DataClient class so that one instance per machine (in the leader) serves every process. */
export function cluster<C extends DataClientClass, O extends ClusterOptions = ClusterOptions>(Client: C, options?: O): ClusterClientBuilder<C, Record<never, never>, AutoGenerateOf<O>> {
  return new ClusterClientBuilder(Client, options);
}

/** cluster-client's `cluster.close(client)`. */
export function close(client: { close(): Promise<void> }): Promise<void> {
  return client.close();
}

/**
 * Base class for an API client that wraps a cluster client of `DataClient`, as in cluster-client:
 * subclasses define the `DataClient`, `delegates` and `clusterOptions` getters and call `this._client`.
 */
export abstract class APIClientBase<C extends DataClientClass = DataClientClass> extends Base {
  protected readonly _client: ClusterClient<InstanceType<C>>;

  /** `options`: sdk-base's (initMethod...) and the DataClient's, which its constructor receives; `cluster` replaces the function that builds the client. */
  constructor(options: BaseOptions & { cluster?: typeof cluster } = {}) {
    super(options);
    const builder = (options.cluster ?? cluster)(this.DataClient, this.clusterOptions);
    for (const [name, to] of Object.entries(this.delegates)) builder.delegate(name as MethodName<InstanceType<C>>, to);
    this._client = builder.create(...([options] as unknown as ConstructorParameters<C>));
    // Events of the cluster client (the DataClient's, re-emitted in the leader) are this client's events.
    const client = this._client as unknown as Base;
    const emit = client.emit.bind(client);
    client.emit = (event: string | symbol, ...args: unknown[]) => {
      const handled = emit(event, ...args);
      this.emit(event, ...args);
      return handled;
    };
    if (!options.initMethod) this._client.ready().then(() => this.ready(true), (err: Error) => this.ready(err));
  }

  get DataClient(): C {
    throw new Error('[APIClientBase] the DataClient getter must be overridden');
  }

  get delegates(): Record<string, DelegateKind | DelegateSpec> {
    return {};
  }

  get clusterOptions(): ClusterOptions {
    return {};
  }

  get isClusterClientLeader(): boolean {
    return this._client.isClusterClientLeader;
  }

  protected async _close(): Promise<void> {
    await this._client.close();
  }
}
