// Which process has which requests in flight. A process that dies between pick() and report()
// would otherwise keep its servers' slots forever (least-active, maxConcurrent): each caller is
// kept alive like a registration, by its calls and its heartbeats, and a caller silent for longer
// than the alive TTL has its requests given back.

interface Caller {
  seenAt: number;
  /** server id -> requests in flight */
  inFlight: Map<string, number>;
}

export class CallerLedger {
  private readonly callers = new Map<string, Caller>();

  picked(caller: string, serverId: string, now: number): void {
    let entry = this.callers.get(caller);
    if (!entry) this.callers.set(caller, (entry = { seenAt: now, inFlight: new Map() }));
    entry.seenAt = now;
    entry.inFlight.set(serverId, (entry.inFlight.get(serverId) ?? 0) + 1);
  }

  reported(caller: string, serverId: string, now: number): void {
    const entry = this.callers.get(caller);
    if (!entry) return;
    entry.seenAt = now;
    const count = entry.inFlight.get(serverId) ?? 0;
    if (count > 1) entry.inFlight.set(serverId, count - 1);
    else entry.inFlight.delete(serverId);
    if (entry.inFlight.size === 0) this.callers.delete(caller);
  }

  seen(caller: string, now: number): void {
    const entry = this.callers.get(caller);
    if (entry) entry.seenAt = now;
  }

  /** Forgets the callers silent for longer than ttlMs and returns what they had in flight, per server. */
  expire(now: number, ttlMs: number): Map<string, number> {
    const released = new Map<string, number>();
    for (const [caller, entry] of this.callers) {
      if (now - entry.seenAt <= ttlMs) continue;
      this.callers.delete(caller);
      for (const [serverId, count] of entry.inFlight) released.set(serverId, (released.get(serverId) ?? 0) + count);
    }
    return released;
  }
}
