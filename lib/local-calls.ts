// Calls made in the leader process. They behave as a follower's: arguments and results are copies
// made through the same encoding (a value that cannot be sent fails with EncodeError, one over
// maxFrameSize with FrameTooLargeError), and a oneway call resolves undefined.
// Fairness: they run from setImmediate, not from a microtask, so that a tight `await client.get()`
// loop in the leader leaves room for followers' I/O. A call whose client closed while it waited for
// its turn is not started: it fails with ClientClosedError, as a follower's would.
import { Op } from '../protocol/index.js';
import type { LocalChannel } from './channel.js';
import { ClientClosedError } from './errors.js';
import type { DataClientHost } from './leader/host.js';
import { errorCode } from './observe/call-stats.js';
import type { LeaderCounters } from './observe/status.js';
import type { Logger } from './options.js';
import { copyArgs, copyResult, type FrameLimit } from './local-copies.js';

const SENT: Promise<unknown> = Promise.resolve(undefined);

/** A call to this process's own DataClient, counted in the client's stats and the leader's counters. */
export function callLocal(channel: LocalChannel, host: DataClientHost, method: string, args: unknown[], oneway: boolean, logger: Logger, counters?: LeaderCounters): Promise<unknown> {
  const { stats } = channel;
  const startedAt = stats.started();
  if (counters) counters.calls++;
  return copiedCall(channel, host, method, args, oneway, logger).then(
    (value) => {
      stats.settled(startedAt);
      return value;
    },
    (err) => {
      stats.failed(startedAt, err);
      counters?.countError(errorCode(err));
      throw err;
    },
  );
}

function copiedCall(channel: LocalChannel, host: DataClientHost, method: string, args: unknown[], oneway: boolean, logger: Logger): Promise<unknown> {
  const { transcode, maxFrameSize } = channel.spec.options;
  const limit: FrameLimit = { method, connection: channel.connection(oneway ? Op.ONEWAY : Op.INVOKE, method), maxFrameSize };
  let copied: unknown[];
  try {
    copied = copyArgs(args, transcode, limit);
  } catch (err) {
    return Promise.reject(err);
  }
  const result = runLocal(() => (channel.error instanceof ClientClosedError ? Promise.reject(channel.error) : host.invoke(method, copied)));
  if (oneway) {
    result.catch((err) => logger.warn(`[onelink] oneway ${channel.name}.${method} failed:`, err));
    return SENT;
  }
  return result.then((value) => copyResult(value, transcode, limit));
}

let queued: Array<() => void> = [];
let scheduled = false;

/** Runs `task` in the next check phase of the event loop, with every other call queued meanwhile. */
function runLocal<T>(task: () => Promise<T>): Promise<T> {
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
