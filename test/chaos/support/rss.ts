// Samples another process's resident set size (VmRSS in /proc/<pid>/status, Linux) at an interval.
import { readFileSync } from 'node:fs';

export class RssSampler {
  maxBytes = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(readonly pid: number, everyMs = 200) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  get maxMiB(): number {
    return Math.round((this.maxBytes / 1024 / 1024) * 10) / 10;
  }

  /** The current RSS in bytes, or undefined once the process is gone. */
  sample(): number | undefined {
    let status: string;
    try {
      status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    } catch {
      return undefined;
    }
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (!match) return undefined;
    const bytes = Number(match[1]) * 1024;
    this.samples++;
    this.maxBytes = Math.max(this.maxBytes, bytes);
    return bytes;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}
