// Every size and duration of the suite in one place: the full run (`npm run bench`) and the smoke run.
import { IMPLEMENTATION_NAMES, type ImplementationName } from './impl/implementation.js';

export type PayloadKind = 'buffer' | 'string';

/** The groups of scenarios, each on its own fresh processes: pair (sequential, payload), fleet (throughput, RSS, fan-out), failover. */
export const SCENARIO_GROUPS = ['pair', 'fleet', 'failover'] as const;
export type ScenarioGroup = (typeof SCENARIO_GROUPS)[number];

export interface BenchConfig {
  repetitions: number;
  implementations: readonly ImplementationName[];
  scenarios: readonly ScenarioGroup[];
  /** 1 leader + 1 follower: sequential echo of a small object, then the payload cases */
  sequential: { calls: number; warmupCalls: number };
  /**
   * Live heap each process of the pair scenarios holds before it connects, as an application does.
   * A process whose old generation is just over V8's 8 MB threshold for incremental marking runs
   * full collections back to back while it allocates large Buffers: the 1 MiB Buffer echo then
   * runs at about a third of the speed it has with an old generation under 8 MB or over about
   * 32 MB, for every implementation alike (README, Performance).
   */
  applicationHeapMiB: number;
  payload: { kinds: readonly PayloadKind[]; bytes: readonly number[]; warmupMs: number; durationMs: number; minCalls: number };
  /** 1 leader + N followers: throughput, then RSS, then fan-out, on the same processes */
  throughput: { followers: number; inFlight: number; durationMs: number; warmupMs: number };
  fanout: { events: number; intervalMs: number; settleMs: number };
  /** 1 leader + N followers, leader killed with SIGKILL */
  failover: { followers: number; loopBeforeKillMs: number; recoveryCapMs: number; pauseAfterFailureMs: number };
  /** a worker exits by itself after this long, whatever happens */
  workerTimeoutMs: number;
}

/**
 * responseTimeout given to onelink and cluster-client: cluster-client's JSON-based transcode needs
 * seconds per 1 MiB Buffer, which is measured rather than cut off by its 3 s default.
 */
export const RESPONSE_TIMEOUT_MS = 30_000;

export const KiB = 1024;
export const MiB = 1024 * KiB;

export const FULL_RUN: BenchConfig = {
  repetitions: 3,
  implementations: IMPLEMENTATION_NAMES,
  scenarios: SCENARIO_GROUPS,
  sequential: { calls: 20_000, warmupCalls: 500 },
  applicationHeapMiB: 64,
  // A fresh loopback connection needs a few hundred ms of large writes before the kernel has grown its buffers.
  payload: { kinds: ['buffer', 'string'], bytes: [64 * KiB, MiB], warmupMs: 500, durationMs: 600, minCalls: 1 },
  throughput: { followers: 3, inFlight: 64, durationMs: 5_000, warmupMs: 500 },
  fanout: { events: 5_000, intervalMs: 1, settleMs: 2_000 },
  failover: { followers: 3, loopBeforeKillMs: 300, recoveryCapMs: 5_000, pauseAfterFailureMs: 1 },
  workerTimeoutMs: 60_000,
};

/** Each scenario once, tiny, so that the scripts are exercised by the test suite. */
export const SMOKE_RUN: BenchConfig = {
  repetitions: 1,
  implementations: IMPLEMENTATION_NAMES,
  scenarios: SCENARIO_GROUPS,
  sequential: { calls: 200, warmupCalls: 20 },
  applicationHeapMiB: 1,
  payload: { kinds: ['buffer', 'string'], bytes: [64 * KiB], warmupMs: 10, durationMs: 30, minCalls: 1 },
  throughput: { followers: 3, inFlight: 4, durationMs: 200, warmupMs: 50 },
  fanout: { events: 30, intervalMs: 1, settleMs: 2_000 },
  failover: { followers: 3, loopBeforeKillMs: 100, recoveryCapMs: 5_000, pauseAfterFailureMs: 1 },
  workerTimeoutMs: 30_000,
};
