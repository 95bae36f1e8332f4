// Per-server request statistics kept by the balancer: what least-latency and least-active
// read, and what metrics() reports.

import { REGISTRY_DEFAULTS } from '../options.js';

const WINDOW = REGISTRY_DEFAULTS.balancer.latencyWindow;

export interface ServerMetrics {
  readonly id: string;
  readonly successes: number;
  readonly failures: number;
  readonly inFlight: number;
  /** Latency percentiles over the last 1024 reports, in ms; null before the first report. */
  readonly latencyP50: number | null;
  readonly latencyP99: number | null;
  readonly latencyEwma: number | null;
}

export class ServerStats {
  successes = 0;
  failures = 0;
  inFlight = 0;
  ewma: number | undefined;
  private readonly samples = new Float64Array(WINDOW);
  private count = 0;

  constructor(readonly id: string, private readonly ewmaWeight: number) {}

  record(latencyMs: number, ok: boolean): void {
    if (ok) this.successes++; else this.failures++;
    if (!Number.isFinite(latencyMs) || latencyMs < 0) return;
    this.ewma = this.ewma === undefined ? latencyMs : this.ewma + this.ewmaWeight * (latencyMs - this.ewma);
    this.samples[this.count % WINDOW] = latencyMs;
    this.count++;
  }

  snapshot(): ServerMetrics {
    const n = Math.min(this.count, WINDOW);
    const sorted = Array.from(this.samples.subarray(0, n)).sort((a, b) => a - b);
    const percentile = (p: number) => (n === 0 ? null : sorted[Math.min(n - 1, Math.ceil((p / 100) * n) - 1)]);
    return {
      id: this.id,
      successes: this.successes,
      failures: this.failures,
      inFlight: this.inFlight,
      latencyP50: percentile(50),
      latencyP99: percentile(99),
      latencyEwma: this.ewma ?? null,
    };
  }
}
