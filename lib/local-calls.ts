// Fairness in the leader process: its own calls to its DataClients run from setImmediate, not from a
// microtask, so that a tight `await client.get()` loop in the leader leaves room for followers' I/O.

let queued: Array<() => void> = [];
let scheduled = false;

/** Runs `task` in the next check phase of the event loop, with every other call queued meanwhile. */
export function runLocal<T>(task: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    queued.push(() => task().then(resolve, reject));
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  });
}

function drain(): void {
  scheduled = false;
  const calls = queued;
  queued = [];
  for (const call of calls) call();
}
