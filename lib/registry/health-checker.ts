// spawn-style HTTP health checks. Only the leader runs them, so a machine checks each
// server once per period however many processes it has.
import { REGISTRY_DEFAULTS } from './options.js';
import type { HealthCheckConfig, HealthState, ServerRecord } from './types.js';

interface Check {
  readonly signature: string;
  readonly timer: NodeJS.Timeout;
  state: HealthState;
  running: boolean;
}

export class HealthChecker {
  private readonly checks = new Map<string, Check>();

  /** `onChange` is called with the server id whenever its state flips. */
  constructor(
    private readonly onChange: (id: string, state: HealthState) => void = () => {},
    private readonly timeoutMs: number = REGISTRY_DEFAULTS.healthCheckTimeoutMs,
  ) {}

  /** Starts checks for new servers with a healthCheck, stops those of servers that left or dropped it. */
  reconcile(servers: readonly ServerRecord[]): void {
    const wanted = new Map(servers.filter((s) => s.healthCheck).map((s) => [s.id, s]));
    for (const [id, check] of this.checks) {
      const server = wanted.get(id);
      if (!server || signatureOf(server) !== check.signature) this.stop(id);
    }
    for (const [id, server] of wanted) if (!this.checks.has(id)) this.start(server);
  }

  state(id: string): HealthState {
    return this.checks.get(id)?.state ?? 'unknown';
  }

  /** A server with a failing check is left out of pick(); one not yet checked is not. */
  isFailing(id: string): boolean {
    return this.state(id) === 'failing';
  }

  states(): Record<string, HealthState> {
    return Object.fromEntries([...this.checks].map(([id, c]) => [id, c.state]));
  }

  close(): void {
    for (const id of [...this.checks.keys()]) this.stop(id);
  }

  private start(server: ServerRecord): void {
    const config = server.healthCheck!;
    const periodMs = (config.seconds ?? REGISTRY_DEFAULTS.healthCheckSeconds) * 1000;
    const check: Check = { signature: signatureOf(server), state: 'unknown', running: false, timer: setInterval(() => void this.run(server, check), periodMs) };
    check.timer.unref();
    this.checks.set(server.id, check);
    void this.run(server, check);
  }

  private stop(id: string): void {
    const check = this.checks.get(id);
    if (!check) return;
    clearInterval(check.timer);
    this.checks.delete(id);
  }

  private async run(server: ServerRecord, check: Check): Promise<void> {
    if (check.running) return;
    check.running = true;
    const state: HealthState = (await probe(server.address, server.healthCheck!, this.timeoutMs)) ? 'passing' : 'failing';
    check.running = false;
    if (this.checks.get(server.id) !== check) return; // stopped meanwhile
    const previous = check.state;
    check.state = state;
    if (previous !== state) this.onChange(server.id, state);
  }
}

function signatureOf(server: ServerRecord): string {
  return JSON.stringify([server.address, server.healthCheck]);
}

/** Passes on a 2xx answer whose body matches `regexp` (when given) within the timeout. */
export async function probe(address: string, config: HealthCheckConfig, timeoutMs: number): Promise<boolean> {
  const path = config.url ?? '/';
  const url = /^https?:\/\//.test(path) ? path : `http://${address}${path.startsWith('/') ? '' : '/'}${path}`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    if (!response.ok) return false;
    return config.regexp === undefined || new RegExp(config.regexp).test(body);
  } catch {
    return false;
  }
}
