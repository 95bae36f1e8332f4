// Deadlines that cross processes. The processes of one machine share CLOCK_MONOTONIC (what
// process.hrtime reads on Linux), so a follower can tell the leader when its caller gives up:
// the absolute deadline travels in the frame header's 32-bit timeout field, in milliseconds of
// that clock modulo 2^32, and costs no encoding on the hot path.

/** Milliseconds of the machine's monotonic clock. */
function monotonicMs(): number {
  const [seconds, nanoseconds] = process.hrtime();
  return seconds * 1000 + Math.floor(nanoseconds / 1e6);
}

/** The header value for a request whose caller waits `timeoutMs` from now; never 0, which means "no deadline". */
export function deadlineFromNow(timeoutMs: number): number {
  return (monotonicMs() + timeoutMs) >>> 0 || 1;
}

/**
 * Milliseconds short of the deadline at which a request no longer starts: the caller's own timer
 * (rounded to the millisecond, swept a little late) must never fire before the leader's check.
 */
const MARGIN_MS = 2;

/** Whether a request carrying this header value has reached its deadline (wrap-safe for deadlines within ~24 days). */
export function isPastDeadline(deadline: number): boolean {
  if (deadline === 0) return false;
  return ((deadline - (monotonicMs() >>> 0)) | 0) <= MARGIN_MS;
}
