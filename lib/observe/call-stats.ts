// What the calls of one client name in this process did: counters and a fixed-size latency sample.
// Recording a call writes numbers only: no allocation on the hot path.
import { performance } from 'node:perf_hooks';

/** Latencies kept: the most recent ones, in a ring; the percentiles are computed on demand. */
const SAMPLE_SIZE = 1024;

export interface LatencyStats {
  /** Milliseconds; null before the first call settles. */
  p50: number | null;
  p99: number | null;
}

export interface CallStatsSnapshot {
  /** Calls settled (answered or failed) and oneway calls sent. */
  calls: number;
  /** Failed calls by error code (or error name when it has no code). */
  errors: Record<string, number>;
  /** Over the last SAMPLE_SIZE answered or failed calls. */
  latency: LatencyStats;
  /** Calls sent and not settled yet. */
  inFlight: number;
}

export class CallStats {
  private calls = 0;
  private inFlight = 0;
  private readonly errors = new Map<string, number>();
  private readonly sample = new Float64Array(SAMPLE_SIZE);
  private sampled = 0;

  /** A call leaves; returns its start time, to hand back to settled() or failed(). */
  started(): number {
    this.inFlight++;
    return performance.now();
  }

  settled(startedAt: number): void {
    this.inFlight--;
    this.calls++;
    this.sample[this.sampled++ % SAMPLE_SIZE] = performance.now() - startedAt;
  }

  failed(startedAt: number, error: unknown): void {
    this.settled(startedAt);
    this.countError(error);
  }

  /** A call that left and will get no answer (oneway). */
  sent(): void {
    this.calls++;
  }

  /** A call that left and will be settled by another attempt (an idempotent call sent again after a failover). */
  abandoned(): void {
    this.inFlight--;
  }

  /** A call that failed before it left (the channel or the election failed). */
  rejected(error: unknown): void {
    this.calls++;
    this.countError(error);
  }

  private countError(error: unknown): void {
    const code = errorCode(error);
    this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
  }

  snapshot(): CallStatsSnapshot {
    return { calls: this.calls, errors: Object.fromEntries(this.errors), latency: this.latency(), inFlight: this.inFlight };
  }

  private latency(): LatencyStats {
    const count = Math.min(this.sampled, SAMPLE_SIZE);
    if (count === 0) return { p50: null, p99: null };
    const sorted = this.sample.slice(0, count).sort();
    return { p50: round(percentile(sorted, 0.5)), p99: round(percentile(sorted, 0.99)) };
  }
}

/** The value at or below which `q` of the sorted values lie (nearest rank). */
export function percentile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** The code an error is counted under. */
export function errorCode(error: unknown): string {
  if (error && typeof error === 'object') {
    const { code, name } = error as { code?: unknown; name?: unknown };
    if (typeof code === 'string' || typeof code === 'number') return String(code);
    if (typeof name === 'string' && name) return name;
  }
  return 'unknown';
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
