// `onelink status`: who leads an endpoint and what it holds, read as an authenticated observer.
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { KEY_SIZE, type HandshakeIdentity } from '../../protocol/index.js';
import { endpointOf } from '../agent.js';
import { ObserveError, Observer, type ObserveFailureReason } from '../observe/observer.js';
import type { LeaderStatus } from '../observe/status.js';
import { resolveOptions, type ClusterOptions } from '../options.js';
import { deriveEndpointKey, keyFilePath, readKeyFile } from '../security/endpoint-key.js';
import { endpointIdOf } from '../security/identity.js';
import { resolveRuntimeDir } from '../security/runtime-dir.js';
import { socketNetwork } from '../transport/socket.js';
import type { Endpoint } from '../transport/connection.js';

const USAGE = `usage: onelink status [--port N | --path P] [--json] [--watch]

Prints who leads the endpoint and what it holds: the leader's pid, uptime and protocol version,
its channels, its followers and its counters. It connects as an authenticated observer: it never
follows and never takes part in an election.

  --port N   the TCP port (default: NODE_CLUSTER_CLIENT_PORT or 7777)
  --path P   a Unix socket instead: an absolute path, or a name in the runtime directory (default: ONELINK_PATH)
  --json     the leader's stats as JSON (with --watch, one line per second)
  --watch    refresh every second until Ctrl-C

The key is the endpoint's key file of this user, or derived from ONELINK_SECRET.
Exit codes: 0 ok, 1 usage or other error, 2 nothing listens, 3 a program that is not a onelink
leader holds the endpoint, 4 a process of another user or application holds it, 5 the leader went away.`;

export const EXIT_CODES: Record<ObserveFailureReason | 'ok' | 'usage', number> = { ok: 0, usage: 1, nobody: 2, foreign: 3, unauthenticated: 4, lost: 5 };

interface StatusArgs {
  endpoint: Endpoint;
  json: boolean;
  watch: boolean;
}

/** Runs the command; resolves with the exit code. */
export async function main(argv: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    out.write(`${USAGE}\n`);
    return EXIT_CODES.ok;
  }
  let args: StatusArgs;
  try {
    args = parse(argv);
  } catch (error) {
    err.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_CODES.usage;
  }
  if (!args.watch) return once(args, out, err);
  return watch(args, out, err);
}

function parse(argv: string[]): StatusArgs {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { port: { type: 'string' }, path: { type: 'string' }, json: { type: 'boolean' }, watch: { type: 'boolean' } },
  });
  const [command = 'status', ...rest] = positionals;
  if (command !== 'status' || rest.length > 0) throw new Error(`unknown command: ${positionals.join(' ')}`);
  if (values.port !== undefined && values.path !== undefined) throw new Error('give --port or --path, not both');
  const given: ClusterOptions = {};
  if (values.port !== undefined) {
    if (!/^\d+$/.test(values.port)) throw new Error(`--port must be a number from 1 to 65535, got ${JSON.stringify(values.port)}`);
    given.port = Number(values.port);
  }
  if (values.path !== undefined) given.path = values.path;
  // The same rules (and environment variables) as a client's options: the same endpoint.
  const options = resolveOptions(given, 'onelink-status');
  return { endpoint: endpointOf(options), json: values.json === true, watch: values.watch === true };
}

/**
 * What this process proves: the endpoint's key, never created here. Without a key file no process
 * of this user leads the endpoint, so whatever holds it gets a random key and cannot prove it.
 */
async function observerIdentity(endpoint: Endpoint): Promise<HandshakeIdentity> {
  const endpointId = endpointIdOf(endpoint);
  const secret = process.env.ONELINK_SECRET || undefined;
  const key = secret !== undefined
    ? deriveEndpointKey(secret, endpointId)
    : ((await readKeyFile(keyFilePath(resolveRuntimeDir(), endpointId))) ?? randomBytes(KEY_SIZE));
  return { key, endpointId, pid: process.pid };
}

async function once(args: StatusArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let observer: Observer | null = null;
  try {
    observer = await Observer.connect(socketNetwork, args.endpoint, await observerIdentity(args.endpoint));
    const status = await observer.stats();
    out.write(args.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, Date.now()));
    return EXIT_CODES.ok;
  } catch (error) {
    return report(error, err);
  } finally {
    observer?.close();
  }
}

/** Every second until SIGINT or SIGTERM; a lost leader is reported and looked for again. */
async function watch(args: StatusArgs, out: NodeJS.WritableStream, err: NodeJS.WritableStream): Promise<number> {
  let stopped = false;
  let wake: (() => void) | null = null;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const identity = await observerIdentity(args.endpoint);
  let observer: Observer | null = null;
  try {
    while (!stopped) {
      try {
        observer ??= await Observer.connect(socketNetwork, args.endpoint, identity);
        const status = await observer.stats();
        out.write(args.json ? `${JSON.stringify(status)}\n` : `\x1b[2J\x1b[H${formatStatus(status, Date.now())}`);
      } catch (error) {
        observer?.close();
        observer = null;
        if (!(error instanceof ObserveError)) return report(error, err);
        err.write(`${new Date().toISOString()} ${error.message}\n`);
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, 1000);
      });
    }
    return EXIT_CODES.ok;
  } finally {
    observer?.close();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

function report(error: unknown, err: NodeJS.WritableStream): number {
  err.write(`onelink status: ${(error as Error).message}\n`);
  return error instanceof ObserveError ? EXIT_CODES[error.reason] : EXIT_CODES.usage;
}

// ---- the human-readable form ----

export function formatStatus(s: LeaderStatus, now: number): string {
  const { leader, counters } = s;
  const errors = Object.entries(counters.errors).map(([code, n]) => `${code} ${n}`).join(', ') || 'none';
  const failover = counters.lastFailoverMs === null ? '' : ` (the last took ${counters.lastFailoverMs} ms)`;
  const lines = [
    `leader     pid ${leader.pid} on ${leader.endpoint}, protocol ${s.protocol}, node ${leader.node}`,
    `uptime     leading for ${duration(leader.uptimeMs)} (process up ${duration(leader.processUptimeMs)})`,
    `calls      ${counters.calls} served, ${counters.callsPerSecond}/s`,
    `errors     ${errors}`,
    `failovers  ${counters.failovers} since the process started${failover}`,
    '',
    `channels (${s.channels.length})`,
    ...table(['name', 'data client', 'followers', 'subscriptions', 'leader uses it'], s.channels.map((c) => [c.name, c.dataClient, c.followers, c.subscriptions, c.local ? 'yes' : 'no'])),
    '',
    `followers (${s.followers.length})`,
    ...table(
      ['pid', 'connected', 'in flight', 'calls', 'errors', 'bytes in', 'bytes out', 'channels'],
      s.followers.map((f) => [f.pid, `${duration(now - f.connectedAt)} ago`, f.inFlight, f.calls, f.errors, bytes(f.bytesIn), bytes(f.bytesOut), f.channels.join(', ')]),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

function table(header: string[], rows: unknown[][]): string[] {
  if (rows.length === 0) return ['  (none)'];
  const cells = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  return cells.map((row) => `  ${row.map((cell, i) => cell.padEnd(widths[i])).join('  ')}`.trimEnd());
}

function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
