// The runner's side of one worker process: fork, typed request/response over IPC, kill.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Command, Request, WorkerMessage } from './worker-protocol.js';

const WORKER_SCRIPT = fileURLToPath(new URL('./worker.ts', import.meta.url));

export interface WorkerOptions {
  deadlineMs: number;
  /** write a V8 CPU profile of this worker into the directory when it exits */
  cpuProfileDir?: string;
}

// Workers still running when the runner exits (an error, Ctrl-C) are killed with it.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class WorkerHandle {
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void; command: string }>();
  readonly #noticeListeners = new Set<(pid: number) => void>();
  #stderr = '';

  constructor(readonly label: string, options: WorkerOptions) {
    const execArgv = ['--import', 'tsx'];
    if (options.cpuProfileDir) execArgv.push('--cpu-prof', `--cpu-prof-dir=${options.cpuProfileDir}`);
    this.process = fork(WORKER_SCRIPT, [String(options.deadlineMs)], {
      execArgv,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    });
    running.add(this.process);
    this.process.stderr?.setEncoding('utf8');
    this.process.stderr?.on('data', (text: string) => {
      // keep the tail for error messages
      this.#stderr = (this.#stderr + text).slice(-4_000);
    });
    this.process.on('message', (message: WorkerMessage) => {
      if ('notice' in message) {
        for (const listener of this.#noticeListeners) listener(message.pid);
        return;
      }
      const call = this.#pending.get(message.id);
      if (!call) return;
      this.#pending.delete(message.id);
      if (message.ok) call.resolve(message.result);
      else call.reject(new Error(`${this.label}: ${call.command} failed: ${message.error}`));
    });
    this.exited = new Promise((resolve) => {
      this.process.once('exit', (code, signal) => {
        running.delete(this.process);
        for (const call of this.#pending.values()) {
          call.reject(new Error(`${this.label} exited (code ${code}, signal ${signal}) during ${call.command}\n${this.#stderr}`));
        }
        this.#pending.clear();
        resolve(code);
      });
    });
  }

  get pid(): number {
    if (this.process.pid === undefined) throw new Error(`${this.label} has no pid`);
    return this.process.pid;
  }

  request<T>(command: Command): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        reject(new Error(`${this.label} is not running\n${this.#stderr}`));
        return;
      }
      this.#pending.set(id, { resolve: (value) => resolve(value as T), reject, command: command.type });
      this.process.send({ id, command } satisfies Request);
    });
  }

  onNewLeaderAnswered(listener: (pid: number) => void): void {
    this.#noticeListeners.add(listener);
  }

  kill(signal: NodeJS.Signals): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }

  /** Asks the worker to close and exit; kills it if it has not within `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.process.exitCode !== null || this.process.signalCode !== null) return;
    this.request({ type: 'exit' }).catch(() => {});
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
