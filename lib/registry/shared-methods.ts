// How each method of the leader's RegistryClient is reached from a process: the one table the
// delegation and the Registry facade's pass-throughs are derived from. Its type lists the methods of
// RegistryClient, so adding, renaming or removing one there fails to compile until the table agrees.
import type { DelegateSpec } from '../options.js';
import type { ClusterClient } from '../api.js';
import type { RegistryClient } from './registry-client.js';

/** RegistryClient as a process sees it through onelink: every method returns a promise. */
export type SharedRegistry = ClusterClient<RegistryClient>;

/** Methods of RegistryClient a process calls; ready() and close() are the cluster client's own. */
export type RegistryMethod = Exclude<
  { [K in keyof RegistryClient]: RegistryClient[K] extends (...args: never[]) => unknown ? K : never }[keyof RegistryClient],
  'ready' | 'close'
>;

interface MethodSpec {
  /** How the call reaches the leader. */
  readonly delegate: DelegateSpec;
  /** Registry has a method of the same name that only forwards to the leader. */
  readonly passThrough: boolean;
}

/** Safe to re-send to a new leader: each leaves the registry in the same state when run twice. */
const IDEMPOTENT: DelegateSpec = { to: 'invoke', idempotent: true };
/** Not re-sent: a message could be delivered twice, a pick counted twice. */
const ONCE: DelegateSpec = { to: 'invoke' };

export const REGISTRY_METHODS = {
  register: { delegate: IDEMPOTENT, passThrough: false },
  heartbeat: { delegate: IDEMPOTENT, passThrough: false },
  deregister: { delegate: IDEMPOTENT, passThrough: false },
  setMaintenance: { delegate: IDEMPOTENT, passThrough: false },
  servers: { delegate: IDEMPOTENT, passThrough: true },
  server: { delegate: IDEMPOTENT, passThrough: true },
  bind: { delegate: IDEMPOTENT, passThrough: true },
  unbind: { delegate: IDEMPOTENT, passThrough: true },
  lookup: { delegate: IDEMPOTENT, passThrough: true },
  lookupMany: { delegate: IDEMPOTENT, passThrough: true },
  metrics: { delegate: IDEMPOTENT, passThrough: true },
  healthStates: { delegate: IDEMPOTENT, passThrough: true },
  forwardServer: { delegate: ONCE, passThrough: false },
  forwardBroadcast: { delegate: ONCE, passThrough: false },
  forwardConnections: { delegate: ONCE, passThrough: false },
  pick: { delegate: ONCE, passThrough: false },
  /** Nothing to wait for: the leader only counts the request as ended. */
  report: { delegate: { to: 'invokeOneway' }, passThrough: false },
  subscribe: { delegate: { to: 'subscribe' }, passThrough: false },
  unSubscribe: { delegate: { to: 'unSubscribe' }, passThrough: false },
} as const satisfies Record<RegistryMethod, MethodSpec>;

/** The methods Registry forwards as they are. */
export type PassThroughMethod = { [K in RegistryMethod]: (typeof REGISTRY_METHODS)[K]['passThrough'] extends true ? K : never }[RegistryMethod];

export const PASS_THROUGH_METHODS = (Object.keys(REGISTRY_METHODS) as RegistryMethod[]).filter(
  (name): name is PassThroughMethod => REGISTRY_METHODS[name].passThrough,
);

/**
 * A base class with one method per pass-through, each calling the same method of the shared
 * client; typed from SharedRegistry, so the facade keeps the leader's signatures and their docs.
 */
export function passThroughBase(): abstract new (shared: SharedRegistry) => Pick<SharedRegistry, PassThroughMethod> & { readonly shared: SharedRegistry } {
  abstract class PassThroughs {
    /** The cluster client: its methods run on the RegistryClient in the leader. */
    constructor(readonly shared: SharedRegistry) {}
  }
  for (const name of PASS_THROUGH_METHODS) {
    Object.defineProperty(PassThroughs.prototype, name, {
      value(this: PassThroughs, ...args: unknown[]): unknown {
        return (this.shared[name] as (...args: unknown[]) => unknown).apply(this.shared, args);
      },
      writable: true,
      configurable: true,
    });
  }
  return PassThroughs as never;
}
