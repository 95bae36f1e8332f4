// The IPC messages between a test and a worker process it drives: test/support/processes.ts on the
// test's side, test/fixtures/worker.ts and writer-process.ts on the worker's.

/** A command from the test: `cmd` and its own fields, answered by one `reply` with the same `id`. */
export interface Command {
  id: number;
  cmd: string;
}

/** An error as a worker sends it: its enumerable fields, as far as IPC carries them. */
export interface SentError {
  message: string;
  name?: string;
  code?: unknown;
  stack?: string;
  /** The name of its class in the worker: IPC does not carry the class. */
  constructorName?: string;
  [field: string]: unknown;
}

/** What a worker sends. */
export type WorkerMessage =
  | { type: 'created'; pid: number }
  | { type: 'ready'; leader: boolean; pid: number }
  | { type: 'ready-error'; error: SentError }
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: SentError }
  | { type: 'value'; tag: string; value: unknown }
  | { type: 'event'; event: string; value: unknown }
  | { type: 'log'; level: string; message: string };

/** What a `loop` of calls did, as `stopLoop` answers: calls that succeeded, and failures by code. */
export interface LoopCounts {
  ok: number;
  failed: Record<string, number>;
}

/** What a failed call is counted under (a key of LoopCounts.failed): its code, else its name. */
export function failureCode(err: unknown): string {
  const { code, name } = Object(err) as { code?: unknown; name?: unknown };
  return String(code ?? name ?? 'unknown');
}

/** Calls the method the test named on `target`, as `target[method](...args)` would: the name comes over IPC, so only the call checks it. */
export function callByName(target: object, method: string, args: unknown[]): unknown {
  const fn: unknown = Reflect.get(target, method);
  if (typeof fn !== 'function') throw new TypeError(`${method} is not a function`);
  return Reflect.apply(fn, target, args);
}
