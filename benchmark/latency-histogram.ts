// Latencies at 1 µs resolution in fixed buckets, so that histograms from several processes
// merge exactly and travel over IPC as a few hundred numbers instead of every sample.

const BUCKETS = 1_000_000; // 1 µs buckets up to 1 s; slower calls keep their exact value aside

export interface SerializedHistogram {
  /** [µs, count] pairs of the non-empty buckets */
  buckets: [number, number][];
  /** latencies of 1 s or more, in µs */
  slow: number[];
  maxUs: number;
}

export class LatencyHistogram {
  #counts: Uint32Array = new Uint32Array(BUCKETS);
  #slow: number[] = [];
  #count = 0;
  #maxUs = 0;

  get count(): number {
    return this.#count;
  }

  get maxUs(): number {
    return this.#maxUs;
  }

  record(us: number): void {
    const bucket = Math.floor(us);
    if (bucket < BUCKETS) this.#counts[bucket] += 1;
    else this.#slow.push(us);
    this.#count += 1;
    if (us > this.#maxUs) this.#maxUs = us;
  }

  /** The smallest latency that `fraction` of the calls did not exceed (nearest rank), in µs. */
  percentile(fraction: number): number {
    if (this.#count === 0) return NaN;
    const rank = Math.max(1, Math.ceil(fraction * this.#count));
    let seen = 0;
    for (let us = 0; us < BUCKETS; us += 1) {
      seen += this.#counts[us];
      if (seen >= rank) return Math.min(us + 1, this.#maxUs);
    }
    const slow = [...this.#slow].sort((a, b) => a - b);
    return slow[rank - seen - 1];
  }

  merge(other: LatencyHistogram): this {
    for (let us = 0; us < BUCKETS; us += 1) this.#counts[us] += other.#counts[us];
    this.#slow.push(...other.#slow);
    this.#count += other.#count;
    this.#maxUs = Math.max(this.#maxUs, other.#maxUs);
    return this;
  }

  toJSON(): SerializedHistogram {
    const buckets: [number, number][] = [];
    for (let us = 0; us < BUCKETS; us += 1) {
      if (this.#counts[us] > 0) buckets.push([us, this.#counts[us]]);
    }
    return { buckets, slow: [...this.#slow], maxUs: this.#maxUs };
  }

  static from(serialized: SerializedHistogram): LatencyHistogram {
    const histogram = new LatencyHistogram();
    for (const [us, count] of serialized.buckets) {
      histogram.#counts[us] += count;
      histogram.#count += count;
    }
    for (const us of serialized.slow) histogram.record(us);
    histogram.#maxUs = serialized.maxUs;
    return histogram;
  }
}
