// Another process's resident set size, read from /proc/<pid>/status (Linux): sampled at an
// interval, and its peak (VmHWM), which can be restarted to measure one phase of a run.
import { readFileSync, writeFileSync } from 'node:fs';

/** A field of /proc/<pid>/status in bytes (VmRSS, VmHWM), or undefined once the process is gone. */
function statusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/** The current RSS in bytes; throws if the process is gone. */
export function rssOf(pid: number): number {
  const bytes = statusBytes(pid, 'VmRSS');
  if (bytes === undefined) throw new Error(`process ${pid} is gone`);
  return bytes;
}

/**
 * Restarts the peak RSS of a process (VmHWM becomes its current RSS: clear_refs 5, Linux >= 4.0).
 * Returns false where that is not permitted (a process of another user).
 */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** The peak RSS (VmHWM) since the process started or since resetPeakRss; 0 once it is gone. */
export function peakRssOf(pid: number): number {
  return statusBytes(pid, 'VmHWM') ?? 0;
}

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
    const bytes = statusBytes(this.pid, 'VmRSS');
    if (bytes === undefined) return undefined;
    this.samples++;
    this.maxBytes = Math.max(this.maxBytes, bytes);
    return bytes;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }
}
