// The DataClient as the leader holds it: one per channel name, shared by every process.
// Runs delegated methods, subscribes upstream once per key and fans values out to subscribers.
import { MethodNotDelegatedError } from '../errors.js';
import { isAsync, isMethod, type ChannelSpec, type DataClient, type Method } from '../spec.js';

/** A subscriber anywhere: a listener in this process or a follower's subscription. */
export interface Subscriber {
  /** `fanOut` numbers each delivery run: subscribers of one run may share one encoding of the value. */
  deliver(value: unknown, fanOut: number): void;
}

let lastFanOut = 0;

interface Subscription {
  reg: unknown;
  subscribers: Subscriber[];
  hasValue: boolean;
  lastValue: unknown;
  next: number;
  upstreamListener: (value: unknown) => void;
}

export class DataClientHost {
  /** Null when its constructor threw (`ready` rejects with the error). */
  readonly client: DataClient | null = null;
  readonly ready: Promise<void>;
  private readonly subscriptions = new Map<string, Subscription>();
  private closed = false;

  constructor(readonly spec: ChannelSpec, handoverState?: unknown) {
    const { Client, args, overrides } = spec;
    try {
      // Its members are looked up by name from here on (see DataClient).
      const client = new Client(...args) as DataClient;
      this.client = client;
      for (const [key, value] of Object.entries(overrides)) client[key] = value;
      this.ready = this.init(client, handoverState);
    } catch (err) {
      this.ready = Promise.reject(err);
    }
    this.ready.catch(() => undefined); // reported to whoever opens the channel
  }

  /** Keys subscribed upstream. */
  get upstreamSubscriptions(): number {
    return this.subscriptions.size;
  }

  private async init(client: DataClient, handoverState: unknown): Promise<void> {
    const ready = client.ready;
    if (isMethod(ready)) {
      await new Promise<void>((resolve, reject) => {
        // sdk-base 4/5 and cluster-client-style clients accept ready(callback); newer ones return a promise.
        let settled = false;
        const done = (err?: unknown) => {
          if (settled) return;
          settled = true;
          if (err instanceof Error) reject(err);
          else resolve();
        };
        try {
          const result = ready.length > 0 ? ready.call(client, done) : ready.call(client);
          if (isThenable(result)) result.then(() => done(), done);
          else if (ready.length === 0) done();
        } catch (err) {
          done(err);
        }
      });
    }
    const importState = client.importState;
    if (handoverState !== undefined && isMethod(importState)) {
      await importState.call(client, handoverState);
    }
  }

  /** Runs a delegated method. Sync throws, rejections and callback errors all become a rejection. */
  invoke(method: string, args: unknown[]): Promise<unknown> {
    const kind = this.spec.delegates[method]?.to;
    const fn = this.client?.[method];
    if ((kind !== 'invoke' && kind !== 'invokeOneway') || !isMethod(fn)) {
      return Promise.reject(new MethodNotDelegatedError(method, this.spec.options.name));
    }
    // A plain function declaring one parameter more than it was given takes a node-style callback.
    if (!isAsync(fn) && fn.length === args.length + 1) return this.invokeWithCallback(fn, method, args);
    try {
      return Promise.resolve(fn.apply(this.client, args));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private invokeWithCallback(fn: Method, method: string, args: unknown[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = (err: unknown, value?: unknown) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve(value);
      };
      try {
        const result = fn.call(this.client, ...args, settle);
        // Some callback-taking methods also return a promise: whichever answers first wins.
        if (isThenable(result)) {
          result.then((value) => settle(null, value), (err: unknown) => settle(err ?? new Error(`${method} rejected`)));
        }
      } catch (err) {
        settle(err);
      }
    });
  }

  /** `key` is formatKey(reg), computed by the caller before it stores anything (formatKey may throw on a peer's reg). */
  subscribe(key: string, reg: unknown, subscriber: Subscriber): Promise<void> {
    let sub = this.subscriptions.get(key);
    if (sub) {
      sub.subscribers.push(subscriber);
      if (sub.hasValue) safeDeliver(subscriber, sub.lastValue, ++lastFanOut, this.spec);
      return Promise.resolve();
    }
    const created: Subscription = {
      reg,
      subscribers: [subscriber],
      hasValue: false,
      lastValue: undefined,
      next: 0,
      upstreamListener: (value: unknown) => this.fanOut(created, value),
    };
    sub = created;
    this.subscriptions.set(key, sub);
    const method = this.delegatedAs('subscribe');
    if (!method) return Promise.resolve();
    return callUpstream(method, reg, sub.upstreamListener).catch((err) => {
      // Without an upstream subscription the key would stay dead for every later subscriber.
      if (this.subscriptions.get(key) === created) this.subscriptions.delete(key);
      throw err;
    });
  }

  unsubscribe(key: string, subscriber: Subscriber): void {
    const sub = this.subscriptions.get(key);
    if (!sub) return;
    const index = sub.subscribers.indexOf(subscriber);
    if (index >= 0) sub.subscribers.splice(index, 1);
    if (sub.subscribers.length > 0) return;
    this.subscriptions.delete(key);
    const method = this.delegatedAs('unSubscribe');
    if (method) callUpstream(method, sub.reg, sub.upstreamListener).catch((err) => this.spec.options.logger.warn(`[onelink] ${this.spec.options.name}.${method.name} failed:`, err));
  }

  publish(reg: unknown): Promise<void> {
    const method = this.delegatedAs('publish');
    if (!method) return Promise.resolve();
    return callUpstream(method, reg);
  }

  private fanOut(sub: Subscription, value: unknown): void {
    sub.hasValue = true;
    sub.lastValue = value;
    const subscribers = sub.subscribers;
    if (subscribers.length === 0) return;
    const fanOut = ++lastFanOut;
    if (this.spec.options.isBroadcast) {
      for (const subscriber of subscribers.slice()) safeDeliver(subscriber, value, fanOut, this.spec);
    } else {
      sub.next = (sub.next + 1) % subscribers.length;
      safeDeliver(subscribers[sub.next], value, fanOut, this.spec);
    }
  }

  /** The DataClient's method delegated as `kind`, if it has one. */
  private delegatedAs(kind: 'subscribe' | 'unSubscribe' | 'publish' | 'close'): BoundMethod | undefined {
    const client = this.client;
    if (!client) return undefined;
    for (const [name, spec] of Object.entries(this.spec.delegates)) {
      if (spec.to !== kind) continue;
      const fn = client[name];
      if (isMethod(fn)) return { client, name, fn };
    }
    return undefined;
  }

  exportState(): unknown {
    const client = this.client;
    const exportState = client?.exportState;
    return isMethod(exportState) ? exportState.call(client) : undefined;
  }

  async close(): Promise<void> {
    const client = this.client;
    if (this.closed || !client) return;
    this.closed = true;
    this.subscriptions.clear();
    const method = this.delegatedAs('close') ?? ownClose(client);
    if (method) await callUpstream(method);
  }
}

function safeDeliver(subscriber: Subscriber, value: unknown, fanOut: number, spec: ChannelSpec): void {
  try {
    subscriber.deliver(value, fanOut);
  } catch (err) {
    spec.options.logger.error(`[onelink] a subscriber of "${spec.options.name}" threw:`, err);
  }
}

/** A method of the DataClient, with the client it is called on. */
interface BoundMethod {
  client: DataClient;
  name: string;
  fn: Method;
}

/** A DataClient's own `close()`, when none is delegated as close. */
function ownClose(client: DataClient): BoundMethod | undefined {
  const fn = client.close;
  return isMethod(fn) ? { client, name: 'close', fn } : undefined;
}

async function callUpstream(method: BoundMethod, ...args: unknown[]): Promise<void> {
  await method.fn.apply(method.client, args);
}

/** What `await` would wait for: an object or function with a `then` method. */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
