// Real worker processes (child_process.fork) holding cluster clients, driven over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SentError, WorkerMessage } from './worker-messages.js';

const WORKER = fileURLToPath(new URL('../fixtures/worker.ts', import.meta.url));

export interface WorkerConfig {
  port: number;
  name?: string;
  options?: Record<string, unknown>;
  clientOptions?: Record<string, unknown>;
  /** Send every log line of the client to the parent (WorkerProcess.logs). */
  reportLogs?: boolean;
  publishFirst?: unknown;
  /** More node flags for the worker (--expose-gc...). */
  nodeArgs?: string[];
}

/** What call() and invoke() reject with: an Error carrying the fields of the error the worker sent. */
export type WorkerError = Error & SentError;

export interface ReadyResult {
  ok: boolean;
  leader?: boolean;
  error?: SentError;
}

export class WorkerProcess {
  private nextId = 1;
  /** Each call waiting for its reply; the caller says what type it expects the value to be (see call()). */
  private readonly replies = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  readonly values = new Map<string, unknown[]>();
  readonly events: Array<{ event: string; value: unknown }> = [];
  readonly logs: Array<{ level: string; message: string }> = [];
  readonly ready: Promise<ReadyResult>;
  readonly exited: Promise<void>;
  private readonly valueWaiters = new Set<() => void>();

  private constructor(readonly child: ChildProcess) {
    this.ready = new Promise((resolve) => {
      child.on('message', (message) => {
        const msg = message as WorkerMessage;
        if (msg.type === 'ready') resolve({ ok: true, leader: msg.leader });
        else if (msg.type === 'ready-error') resolve({ ok: false, error: msg.error });
        else if (msg.type === 'reply') {
          const pending = this.replies.get(msg.id);
          this.replies.delete(msg.id);
          if (msg.ok) pending?.resolve(msg.value);
          else pending?.reject(Object.assign(new Error(msg.error.message), msg.error));
        } else if (msg.type === 'value') {
          const list = this.values.get(msg.tag) ?? [];
          list.push(msg.value);
          this.values.set(msg.tag, list);
          for (const wake of this.valueWaiters) wake();
        } else if (msg.type === 'event') {
          this.events.push({ event: msg.event, value: msg.value });
        } else if (msg.type === 'log') {
          this.logs.push({ level: msg.level, message: msg.message });
        }
      });
    });
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', () => {
      for (const pending of this.replies.values()) pending.reject(new Error(`worker ${child.pid} exited`));
      this.replies.clear();
    });
  }

  /** Forks `script` (test/fixtures/worker.ts unless given: another fixture speaking the same IPC messages). */
  static async start(config: WorkerConfig, script = WORKER): Promise<WorkerProcess> {
    const child = fork(script, [JSON.stringify(config)], {
      execArgv: ['--import', 'tsx', ...(config.nodeArgs ?? [])],
      serialization: 'advanced',
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const worker = new WorkerProcess(child);
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`worker exited with ${code} before starting`)));
      child.on('message', (message) => {
        if ((message as WorkerMessage).type === 'created') resolve();
      });
    });
    return worker;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** The values of every `event` the worker's client emitted so far. */
  eventsOf(event: string): unknown[] {
    return this.events.filter((e) => e.event === event).map((e) => e.value);
  }

  /** Sends a command; resolves with the reply's value, which the caller knows to be a T (IPC does not check it). */
  call<T = unknown>(cmd: string, payload: Record<string, unknown> = {}): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(id, { resolve: (value) => resolve(value as T), reject });
      this.child.send({ id, cmd, ...payload });
    });
  }

  invoke<T = unknown>(method: string, ...args: unknown[]): Promise<T> {
    return this.call<T>('invoke', { method, args });
  }

  async waitForValues(tag: string, count: number, timeoutMs = 5000): Promise<unknown[]> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const list = this.values.get(tag) ?? [];
      if (list.length >= count) return list;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`worker ${this.pid}: ${list.length}/${count} values for "${tag}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.valueWaiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.valueWaiters.add(wake);
      });
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    return this.exited;
  }
}

/** Starts workers concurrently and waits until each is ready (or failed to be). */
export async function startWorkers(count: number, config: WorkerConfig, script?: string): Promise<WorkerProcess[]> {
  const workers = await Promise.all(Array.from({ length: count }, () => WorkerProcess.start(config, script)));
  await Promise.all(workers.map((w) => w.ready));
  return workers;
}

export async function killAll(workers: WorkerProcess[]): Promise<void> {
  await Promise.all(workers.map((w) => w.kill()));
}

export async function leaderOf(workers: WorkerProcess[]): Promise<WorkerProcess> {
  const flags = await Promise.all(workers.map((w) => (w.child.exitCode === null && w.child.signalCode === null ? w.call<boolean>('isLeader') : false)));
  const leaders = workers.filter((_, i) => flags[i]);
  if (leaders.length !== 1) throw new Error(`expected exactly one leader, found ${leaders.length}`);
  return leaders[0];
}
