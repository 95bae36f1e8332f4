// Real redis-server / memcached processes for tests, each on a free port of its own,
// so that a test can stop, kill and restart them. Never the machine's standard instances.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export function hasBinary(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

export type ServerBinary = 'redis-server' | 'memcached';

/** Names only the missing binary: the Debian package of each has the binary's name. */
export function missingBinaryHint(name: ServerBinary): string {
  return `${name} is not installed: apt-get install -y ${name}`;
}

/**
 * Call at the top of a `describe` that needs a server binary. Outside CI a missing binary
 * skips the suite with the install command; in CI (CI=true) it fails the run.
 */
export function requireBinary(ctx: Mocha.Context, name: ServerBinary): void {
  if (hasBinary(name)) return;
  const hint = missingBinaryHint(name);
  if (process.env.CI === 'true') throw new Error(hint);
  console.warn(`  skipped: ${hint}`);
  ctx.skip();
}

async function waitForPort(port: number, deadlineMs: number, proc: ChildProcess): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server on port ${port} exited with code ${proc.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`server on port ${port} did not accept connections within ${deadlineMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

abstract class LocalServer {
  port = 0;
  protected proc: ChildProcess | null = null;

  protected abstract command(): { bin: string; args: string[] };

  /** Resolves once the server answers requests, not merely accepts connections. */
  protected async waitUntilServing(): Promise<void> {}

  get running(): boolean {
    return this.proc !== null && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** Starts on a free port the first time, on the same port afterwards (a restart). */
  async start(): Promise<this> {
    if (this.running) return this;
    if (!this.port) this.port = await freePort();
    const { bin, args } = this.command();
    const proc = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr?.resume();
    await waitForPort(this.port, 5000, proc);
    await this.waitUntilServing();
    return this;
  }

  /** Graceful stop (SIGTERM) and wait for exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    await exited;
  }

  /** Abrupt death, as a crash or an OOM kill would look. */
  kill(): Promise<void> {
    return this.stop('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

export interface RedisServerOptions {
  /** Keep data across restarts (append-only file, fsync on every write). */
  persistent?: boolean;
}

export class RedisServer extends LocalServer {
  private dir: string | null = null;

  constructor(private readonly options: RedisServerOptions = {}) {
    super();
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command() {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--daemonize', 'no'];
    if (this.options.persistent) {
      this.dir ??= mkdtempSync(join(tmpdir(), 'onelink-redis-'));
      args.push('--appendonly', 'yes', '--appendfsync', 'always', '--dir', this.dir);
    } else {
      args.push('--appendonly', 'no');
    }
    return { bin: 'redis-server', args };
  }

  // Redis accepts connections while it still loads its append-only file, answering -LOADING.
  protected override async waitUntilServing(): Promise<void> {
    const until = Date.now() + 5000;
    for (;;) {
      try {
        if ((await respCommand(this.port, ['PING'])) === 'PONG') return;
      } catch (err) {
        if (Date.now() > until) throw err;
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  /** Runs one command over raw RESP, for assertions (CLIENT LIST, CLIENT KILL...). */
  async cli(...argv: string[]): Promise<string> {
    return respCommand(this.port, argv);
  }

  async dispose(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

export class MemcachedServer extends LocalServer {
  protected command() {
    const args = ['-p', String(this.port), '-U', '0', '-l', '127.0.0.1', '-m', '64'];
    if (process.getuid?.() === 0) args.push('-u', 'root');
    return { bin: 'memcached', args };
  }

  get servers(): string {
    return `127.0.0.1:${this.port}`;
  }

  async dispose(): Promise<void> {
    await this.stop();
  }
}

/** One RESP command over a fresh socket; returns the reply as text (bulk/simple) or throws on -ERR. */
export function respCommand(port: number, argv: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let payload = `*${argv.length}\r\n`;
    for (const a of argv) payload += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    let data = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      data = Buffer.concat([data, chunk]);
      const text = data.toString('utf8');
      const type = text[0];
      const eol = text.indexOf('\r\n');
      if (eol < 0) return;
      if (type === '+' || type === ':') { socket.destroy(); resolve(text.slice(1, eol)); return; }
      if (type === '-') { socket.destroy(); reject(new Error(text.slice(1, eol))); return; }
      if (type === '$') {
        const len = Number(text.slice(1, eol));
        if (len < 0) { socket.destroy(); resolve(''); return; }
        const body = data.subarray(Buffer.byteLength(text.slice(0, eol + 2)));
        if (body.length >= len + 2) { socket.destroy(); resolve(body.subarray(0, len).toString('utf8')); }
        return;
      }
      socket.destroy();
      reject(new Error(`unexpected RESP reply type ${type}`));
    });
    socket.on('error', reject);
    socket.write(payload);
  });
}
