import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { RacerCommand, RacerReply } from './fixtures/racer.js';

const RACER = fileURLToPath(new URL('./fixtures/racer.ts', import.meta.url));

function nextMessage(child: ChildProcess, timeoutMs: number): Promise<RacerReply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no message from process ${child.pid} within ${timeoutMs} ms`)), timeoutMs);
    child.once('message', (message) => {
      clearTimeout(timer);
      resolve(message as RacerReply);
    });
  });
}

/** n real processes that run each command at the same moment; stopped after the test. */
export class Racers {
  private constructor(readonly children: ChildProcess[]) {}

  static async start(n: number): Promise<Racers> {
    const children = Array.from({ length: n }, () =>
      fork(RACER, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    );
    const racers = new Racers(children);
    try {
      // Generous: n processes loading TypeScript at once on a busy two-core machine start slowly.
      await Promise.all(children.map(async (child) => assert.deepEqual(await nextMessage(child, 90000), { ready: true })));
    } catch (error) {
      await racers.stop();
      throw error;
    }
    return racers;
  }

  /** Sends command to every process at once; resolves their replies in process order. */
  race(command: RacerCommand): Promise<RacerReply[]> {
    const replies = this.children.map((child) => nextMessage(child, 20000));
    for (const child of this.children) child.send(command);
    return Promise.all(replies);
  }

  pids(): number[] {
    return this.children.map((child) => child.pid!);
  }

  async stop(): Promise<void> {
    for (const child of this.children) if (child.connected) child.disconnect();
    await Promise.all(this.children.map((child) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)));
  }
}
