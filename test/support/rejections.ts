// The error a call must fail with: the test fails if the call succeeds instead.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import type { WorkerError } from './processes.js';

/** The reason `promise` rejects with. Its type is unknown until the test checks it (`assert.ok(err instanceof X)` narrows it). */
export async function rejectionOf(promise: Promise<unknown>, what = 'the call'): Promise<unknown> {
  let value: unknown;
  try {
    value = await promise;
  } catch (err) {
    return err;
  }
  assert.fail(`${what} resolved (with ${inspect(value)}), expected a rejection`);
}

/** A call of a worker process that must fail: its error, carrying the fields the worker sent (see WorkerProcess.call). */
export async function rejection(call: Promise<unknown>, what?: string): Promise<WorkerError> {
  const err = await rejectionOf(call, what);
  assert.ok(err instanceof Error, `expected an Error, got ${inspect(err)}`);
  return err as WorkerError;
}
