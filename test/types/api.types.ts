// Type-level checks of the public API, verified by `tsc -p tsconfig.json --noEmit` (npm run typecheck).
// Nothing here runs: a wrong type is a compile error, and so is an @ts-expect-error that expects none.
import { EventEmitter } from 'node:events';
import { cluster, type ClusterClient } from '../../lib/index.js';

export type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
export function assertType<T extends true>(_proof?: T): void {}

export interface Profile {
  id: number;
  tags: string[];
}

export class ProfileClient extends EventEmitter {
  constructor(readonly options: { endpoint: string; retries?: number }) {
    super();
  }

  async get(id: number): Promise<Profile> {
    return { id, tags: [] };
  }

  async find(query: string, limit?: number): Promise<Profile[] | null> {
    return limit === 0 ? null : [{ id: query.length, tags: [query] }];
  }

  /** Sometimes async: the client method still resolves to the plain value. */
  maybeCached(key: string): string | Promise<string> {
    return key.length > 3 ? key : Promise.resolve(key);
  }

  /** Generic and overloaded methods: their type parameters and overloads must survive. */
  async echo<V>(value: V): Promise<V> {
    return value;
  }

  lookup(id: number): Promise<Profile>;
  lookup(ids: number[]): Promise<Profile[]>;
  async lookup(idOrIds: number | number[]): Promise<Profile | Profile[]> {
    return Array.isArray(idOrIds) ? idOrIds.map((id) => ({ id, tags: [] })) : { id: idOrIds, tags: [] };
  }

  sum(a: number, b: number): number {
    return a + b;
  }

  log(line: string): void {
    void line;
  }

  subscribe(reg: { topic: string }, listener: (value: Profile) => void): void {
    void reg;
    void listener;
  }
}

export function checkProfileClient(): void {
  const client = cluster(ProfileClient, { name: 'profiles', port: 7777 })
    .delegate('get', { to: 'invoke', idempotent: true })
    .delegate('sum')
    .delegate('log', 'invokeOneway')
    .override('endpoint', 'http://localhost')
    .create({ endpoint: 'http://upstream', retries: 2 });

  assertType<Equal<typeof client, ClusterClient<ProfileClient>>>();
  // Delegated methods keep their parameters and return Promise<Awaited<R>>.
  assertType<Equal<typeof client.get, (id: number) => Promise<Profile>>>();
  assertType<Equal<typeof client.find, (query: string, limit?: number) => Promise<Profile[] | null>>>();
  assertType<Equal<typeof client.maybeCached, (key: string) => Promise<string>>>();
  assertType<Equal<typeof client.sum, (a: number, b: number) => Promise<number>>>();
  assertType<Equal<typeof client.log, (line: string) => Promise<void>>>();
  const _echoed = client.echo({ deep: [1, 'two'] as const });
  assertType<Equal<typeof _echoed, Promise<{ deep: readonly [1, 'two'] }>>>();
  const _one = client.lookup(1);
  const _many = client.lookup([1, 2]);
  assertType<Equal<typeof _one, Promise<Profile>>>();
  assertType<Equal<typeof _many, Promise<Profile[]>>>();
  const _readied = client.ready();
  assertType<Equal<typeof _readied, Promise<void>>>();
  assertType<Equal<typeof client.isClusterClientLeader, boolean>>();
  assertType<Equal<ReturnType<typeof client.close>, Promise<void>>>();

  // @ts-expect-error: a string where the method takes a number
  void client.get('42');
  // @ts-expect-error: no overload takes a string
  void client.lookup('1');
  // @ts-expect-error: a missing argument
  void client.sum(1);
  // @ts-expect-error: an argument too many
  void client.get(1, 2);
  // @ts-expect-error: no such method on the DataClient
  void client.remove(1);
  // @ts-expect-error: the result is a Promise, not the value
  const notAwaited: Profile = client.get(1);
  void notAwaited;

  // @ts-expect-error: the constructor arguments of the DataClient are checked by create()
  cluster(ProfileClient).create({ endpoint: 42 });
  // @ts-expect-error: an unknown delegate kind
  cluster(ProfileClient).delegate('get', 'invokeTwice');
}
