// Messages between the runner and a worker process (IPC, structured clone of plain JSON).
import type { ImplementationName, Role } from './impl/implementation.js';
import type { PayloadKind } from './config.js';
import type { SerializedHistogram } from './latency-histogram.js';

export type Command =
  | { type: 'connect'; implementation: ImplementationName; port: number; role: Role; heapMiB: number }
  | { type: 'sequential'; calls: number; warmupCalls: number }
  | { type: 'payload'; kind: PayloadKind; bytes: number; warmupMs: number; durationMs: number; minCalls: number }
  | { type: 'throughput'; inFlight: number; durationMs: number; warmupMs: number }
  | { type: 'memory' }
  | { type: 'subscribe-ticks'; topic: string }
  | { type: 'emit-ticks'; topic: string; events: number; intervalMs: number }
  | { type: 'tick-report'; events: number; settleMs: number }
  | { type: 'failover-loop'; oldLeaderPid: number; pauseAfterFailureMs: number }
  | { type: 'failover-report' }
  | { type: 'open-sentinel' }
  | { type: 'exit' };

export interface ConnectResult {
  pid: number;
  isLeader: boolean;
}

export interface SequentialResult {
  latency: SerializedHistogram;
  elapsedMs: number;
}

export interface PayloadResult {
  calls: number;
  elapsedMs: number;
}

export interface ThroughputResult {
  calls: number;
  elapsedMs: number;
  latency: SerializedHistogram;
}

export interface MemoryResult {
  rssBytes: number;
  heapUsedBytes: number;
  /** Buffers and other memory outside the V8 heap */
  externalBytes: number;
}

export interface TickReport {
  received: number;
  lost: number;
  reordered: number;
  duplicated: number;
  delay: SerializedHistogram;
}

export interface FailoverReport {
  calls: number;
  failedCalls: number;
  /** monotonic ns of the first answer from a process other than the old leader, null if none came */
  firstAnswerFromNewLeaderNs: number | null;
  newLeaderPid: number | null;
  firstError: string | null;
}

export interface SentinelResult {
  port: number;
}

export interface Request {
  id: number;
  command: Command;
}

export type WorkerMessage =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: string }
  /** sent unasked when a failover loop gets its first answer from the new leader */
  | { notice: 'new-leader-answered'; pid: number };
