// The small surface every implementation offers the worker, so that scenarios are written once.
import type { TickEvent, TickListener } from '../echo-client.js';

export const IMPLEMENTATION_NAMES = ['onelink', 'cluster-client', 'raw'] as const;
export type ImplementationName = (typeof IMPLEMENTATION_NAMES)[number];

/** `leader` asks to host the EchoClient; with an election it is only a wish the parent checks (it starts this process first). */
export type Role = 'leader' | 'follower';

export interface BenchClient {
  readonly isLeader: boolean;
  echo<T>(value: T): Promise<T>;
  /** Idempotent: onelink re-sends it after a failover. */
  hostPid(): Promise<number>;
  subscribe(topic: string, listener: TickListener): void;
  close(): Promise<void>;
}

/** What both cluster libraries create from EchoClient with the same delegates. */
export interface CreatedEchoClient {
  readonly isClusterClientLeader: boolean;
  echo<T>(value: T): Promise<T>;
  hostPid(): Promise<number>;
  subscribe(registration: { topic: string }, listener: TickListener): unknown;
  close(): Promise<void>;
}

/** The same adapter for both libraries, so that only their own set-up differs. */
export function benchClientOf(client: CreatedEchoClient): BenchClient {
  return {
    get isLeader() {
      return client.isClusterClientLeader;
    },
    echo: (value) => client.echo(value),
    hostPid: () => client.hostPid(),
    subscribe: (topic, listener) => {
      client.subscribe({ topic }, listener);
    },
    close: () => client.close(),
  };
}

export interface Implementation {
  readonly name: ImplementationName;
  /** false when there is no election, so no second leader to fail over to */
  readonly hasFailover: boolean;
  connect(port: number, role: Role): Promise<BenchClient>;
}

export type { TickEvent, TickListener };

export async function loadImplementation(name: ImplementationName): Promise<Implementation> {
  switch (name) {
    case 'onelink':
      return (await import('./onelink.js')).onelink;
    case 'cluster-client':
      return (await import('./cluster-client.js')).clusterClient;
    case 'raw':
      return (await import('./raw.js')).raw;
  }
}

/**
 * Both libraries warn on every leader loss, which the failover scenario causes on purpose. Errors go
 * to stderr, which the runner keeps and shows only when a worker fails.
 */
export const quietLogger = {
  debug(): void {},
  info(): void {},
  warn(): void {},
  error(...args: unknown[]): void {
    console.error(...args);
  },
};
