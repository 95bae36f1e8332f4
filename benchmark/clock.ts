// process.hrtime reads CLOCK_MONOTONIC, which on Linux is one clock for the whole machine:
// a timestamp taken in one process can be compared with one taken in another.
export function monotonicNs(): number {
  return Number(process.hrtime.bigint());
}

export function elapsedUs(startNs: number): number {
  return (monotonicNs() - startNs) / 1000;
}
