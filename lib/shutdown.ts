// A graceful stop on SIGINT/SIGTERM, in the order that loses nothing: stop taking requests, answer the
// ones in flight, then close the onelink clients (a leader hands over to the next one, and the memory
// session store hands its sessions with it), then exit.
import type { Server as HttpServer, IncomingMessage, ServerResponse } from 'node:http';
import type { Server as NetServer } from 'node:net';

/** Anything with a `close()`: a cluster client, a SharedSessionStore, a registry... */
export interface Closable {
  close(): unknown;
}

export interface CloseOnSignalsOptions {
  /** Servers to stop: each stops accepting connections and finishes the requests in flight. */
  server?: NetServer | NetServer[];
  /** Closed one after the other, in this order, once the servers have drained. */
  clients?: Closable[];
  /** Signals that start the shutdown. PM2 sends SIGINT; systemd, Docker and Kubernetes send SIGTERM. */
  signals?: NodeJS.Signals[];
  /**
   * An IPC message that starts the shutdown as a signal does, e.g. 'shutdown': what a node:cluster
   * primary can send a worker (a worker whose primary exits first dies at once), and what PM2 sends
   * with `shutdown_with_message`. Unset: signals only.
   */
  message?: string;
  /** How long requests in flight may take to finish (ms); the connections still open then are cut. */
  timeout?: number;
  /** How long closing the clients may take (ms) before the process exits anyway. */
  closeTimeout?: number;
  /** Exit once closed: code 0, or 1 when a timeout ran out or a close failed. `false` only closes. */
  exit?: boolean;
  /** `info` hears each step, `error` what went wrong. Errors go to console.error by default, steps nowhere. */
  logger?: { info?(message: string): void; error(message: string): void };
}

export const SHUTDOWN_DEFAULTS = {
  signals: ['SIGINT', 'SIGTERM'] as NodeJS.Signals[],
  timeout: 5000,
  closeTimeout: 5000,
  exit: true,
};

export interface GracefulShutdown {
  /** Starts the shutdown as a signal does; every call returns the same promise, which resolves to the exit code. */
  close(reason?: string): Promise<number>;
  /** Removes the signal handlers (the shutdown itself, once started, carries on). */
  dispose(): void;
}

/**
 * On the first of `signals`: stop the servers, wait for their requests in flight (at most `timeout`),
 * close `clients` in order (at most `closeTimeout`), then exit. A second signal exits at once, with code 1;
 * a signal after a shutdown started by `close()` or the message joins it.
 */
export function closeOnSignals(options: CloseOnSignalsOptions = {}): GracefulShutdown {
  const { signals, timeout, closeTimeout, exit } = { ...SHUTDOWN_DEFAULTS, ...withoutUndefined(options) };
  const servers = options.server === undefined ? [] : [options.server].flat();
  const clients = options.clients ?? [];
  const sink = options.logger ?? console;
  const logger = { info: options.logger?.info?.bind(sink) ?? (() => {}), error: sink.error.bind(sink) };
  const inFlight = servers.map(trackResponses);
  let closing: Promise<number> | null = null;
  let signalled = false;

  const close = (reason = 'close()'): Promise<number> => {
    closing ??= (async () => {
      logger.info(`${reason}: stopping ${servers.length} server(s), then closing ${clients.length} client(s)`);
      let code = 0;
      const drained = await withTimeout(Promise.all(servers.map((server, i) => drain(server, inFlight[i]))), timeout);
      if (!drained) {
        code = 1;
        logger.error(`requests still in flight after ${timeout} ms: cutting their connections`);
        for (const server of servers) (server as Partial<HttpServer>).closeAllConnections?.();
      }
      const closed = await withTimeout(closeInOrder(clients, logger), closeTimeout);
      if (closed !== true) {
        code = 1;
        if (closed === undefined) logger.error(`clients still closing after ${closeTimeout} ms`);
      }
      logger.info(`closed (exit code ${code})`);
      if (exit) process.exit(code);
      return code;
    })();
    return closing;
  };

  // Only a second signal forces the exit: Ctrl-C reaches a node:cluster worker both as a signal and
  // as its primary's message, and that is one request to stop.
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.error(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    signalled = true;
    void close(signal);
  };
  const onMessage = (message: unknown) => {
    if (message === options.message) void close(`message '${options.message}'`);
  };
  for (const signal of signals) process.on(signal, onSignal);
  if (options.message !== undefined) process.on('message', onMessage);

  return {
    close,
    dispose() {
      for (const signal of signals) process.off(signal, onSignal);
      process.off('message', onMessage);
    },
  };
}

/** The responses not finished yet, so that those still to be written ask their client to close the connection. */
function trackResponses(server: NetServer): Set<ServerResponse> {
  const open = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    open.add(res);
    res.once('close', () => open.delete(res));
  });
  return open;
}

/** Resolves once the server has stopped listening and every connection it had is closed. */
function drain(server: NetServer, responses: Set<ServerResponse>): Promise<void> {
  const http = server as Partial<HttpServer>;
  // A keep-alive connection would otherwise carry the client's next request to a process about to exit.
  const closeWhenAnswered = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
    res.once('close', () => setImmediate(() => http.closeIdleConnections?.()));
  };
  for (const res of responses) closeWhenAnswered(res);
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => closeWhenAnswered(res));
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    http.closeIdleConnections?.();
  });
}

/** true when every client closed, false when one failed (the others are still closed). */
async function closeInOrder(clients: Closable[], logger: { error(message: string): void }): Promise<boolean> {
  let ok = true;
  for (const client of clients) {
    try {
      await client.close();
    } catch (error) {
      ok = false;
      logger.error(`closing a client failed: ${(error as Error)?.message ?? String(error)}`);
    }
  }
  return ok;
}

/** The promise's value, or undefined once `ms` have passed. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

function withoutUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}
