// HTTP from tests, one fresh connection per request as curl makes it, and a child process whose
// stdout lines the test can wait for.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import http from 'node:http';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request on its own connection; rejects with the socket error (ECONNREFUSED, ECONNRESET...). */
export function request(url: string, options: { method?: string; cookie?: string; timeoutMs?: number } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: options.method ?? 'GET',
      agent: false,
      headers: options.cookie ? { cookie: options.cookie } : {},
      timeout: options.timeoutMs ?? 10000,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

/** Keeps the `name=value` part of the cookies a response sets, as a browser's cookie jar would. */
export class CookieJar {
  private readonly cookies = new Map<string, string>();

  take(answer: Answer): void {
    for (const line of answer.headers['set-cookie'] ?? []) {
      const pair = line.split(';')[0];
      this.cookies.set(pair.slice(0, pair.indexOf('=')), pair);
    }
  }

  get header(): string | undefined {
    return this.cookies.size ? [...this.cookies.values()].join('; ') : undefined;
  }
}

/** A child process whose stdout is kept line by line. */
export class LineProcess {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(command: string, args: string[], options: SpawnOptions = {}) {
    this.child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
    let partial = '';
    this.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop()!;
      this.lines.push(...parts);
    });
    this.child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The first line (from `from` on) matching `pattern`, waiting for it at most `timeoutMs`. */
  async line(pattern: RegExp, timeoutMs = 20000, from = 0): Promise<RegExpMatchArray> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      for (let i = from; i < this.lines.length; i++) {
        const match = this.lines[i].match(pattern);
        if (match) return match;
      }
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`process exited (${this.child.exitCode ?? this.child.signalCode}) before printing ${pattern}; stderr: ${this.stderr}`);
      }
      if (Date.now() > until) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms; stdout: ${this.lines.join(' | ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Index of the first line equal to `text`, or -1. */
  indexOf(text: string): number {
    return this.lines.indexOf(text);
  }
}
