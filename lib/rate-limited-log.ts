// Warnings caused by peers, at most one line per peer and reason per interval: a peer sending
// garbage in a loop must not flood the log. The next line of a key says how many were suppressed.
import type { Logger } from './options.js';

interface Window {
  startedAt: number;
  suppressed: number;
}

export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();
  private prunedAt = 0;

  constructor(private readonly logger: Logger, private readonly intervalMs: number, private readonly now: () => number = Date.now) {}

  /** Logs `message` unless this peer already logged this reason within the interval. */
  warn(peer: string, reason: string, message: string, ...args: unknown[]): void {
    const key = `${peer}\u0000${reason}`;
    const now = this.now();
    const window = this.windows.get(key);
    if (window && now - window.startedAt < this.intervalMs) {
      window.suppressed++;
      return;
    }
    const suppressed = window?.suppressed ?? 0;
    this.windows.delete(key);
    this.prune(now);
    this.windows.set(key, { startedAt: now, suppressed: 0 });
    this.logger.warn(suppressed > 0 ? `${message} (${suppressed} more like it suppressed)` : message, ...args);
  }

  /** Forgets expired windows, reporting the counts nobody will report otherwise (the peer went quiet). */
  private prune(now: number): void {
    if (now - this.prunedAt < this.intervalMs) return;
    this.prunedAt = now;
    for (const [key, window] of this.windows) {
      if (now - window.startedAt < this.intervalMs) continue;
      this.windows.delete(key);
      if (window.suppressed > 0) {
        const [peer, reason] = key.split('\u0000');
        this.logger.warn(`[onelink] ${window.suppressed} more warnings "${reason}" about ${peer} were suppressed`);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }
}
