// What every client of this process hears about its role on the endpoint: 'leader' or 'follower',
// preceded by 'failover' {from, to, ms} once it serves again after losing a leader; and the
// failover counts that stats() and the leader's status report.
import { performance } from 'node:perf_hooks';
import type { ChannelMember, LocalChannel } from './channel.js';
import type { Logger } from './options.js';

/** Emitted as 'failover' by every client once this process serves again after losing its leader. */
export interface FailoverEvent {
  /** The lost leader's pid. */
  from: number;
  /** The new leader's pid (this process's, if it won). */
  to: number;
  /** From the loss to serving again (leading, or following the new leader). */
  ms: number;
}

export type Role = { leads: true } | { leads: false; leaderPid: number };

export class RoleEvents {
  /** The leader lost last, while no new one serves yet. */
  private lost: { from: number; at: number } | null = null;
  failovers = 0;
  lastFailoverMs: number | null = null;
  /** Times this process found a leader again after losing one. */
  reconnects = 0;

  constructor(private readonly channels: Map<string, LocalChannel>, private readonly logger: Logger, private readonly where: string) {}

  leaderLost(pid: number): void {
    this.lost = { from: pid, at: performance.now() };
  }

  /** The election's outcome: 'failover' first if a leader was lost, then the role, to every client. */
  announce(role: Role): void {
    const leaderPid = role.leads ? process.pid : role.leaderPid;
    const lost = this.lost;
    this.lost = null;
    if (lost) {
      if (!role.leads) this.reconnects++;
      const ms = Math.round((performance.now() - lost.at) * 1000) / 1000;
      this.failovers++;
      this.lastFailoverMs = ms;
      this.logger.info?.(`[onelink] failover on ${this.where}: leader ${lost.from} -> ${leaderPid} in ${ms} ms`);
      this.emit('failover', { from: lost.from, to: leaderPid, ms } satisfies FailoverEvent);
    }
    this.emit(...eventOf(role));
  }

  /** A client created once the role is known hears it too, once its listeners are attached. */
  tell(channel: LocalChannel, member: ChannelMember, role: Role): void {
    const [event, value] = eventOf(role);
    setImmediate(() => {
      if (channel.members.has(member)) member.emit(event, value);
    });
  }

  private emit(event: string, value: unknown): void {
    for (const channel of this.channels.values()) {
      for (const member of channel.members) member.emit(event, value);
    }
  }
}

function eventOf(role: Role): [string, unknown] {
  return role.leads ? ['leader', { pid: process.pid }] : ['follower', { leader: role.leaderPid }];
}
