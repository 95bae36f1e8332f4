// Who listens on an endpoint this process cannot use, for the election's error messages.
// Best effort and Linux only: /proc/net lists listening sockets with their owner's uid and inode,
// and /proc/<pid>/fd tells which process holds an inode (among the processes this user may
// inspect). A socket bound without listening is not listed there. Elsewhere, or when /proc says
// nothing, the answer is null and messages go without it.
import { readdir, readFile, readlink } from 'node:fs/promises';
import type { Endpoint } from './transport/connection.js';

/** A socket listening on the endpoint, as /proc/net lists it. */
export interface EndpointSocket {
  /** The owner's uid (TCP only: /proc/net/unix does not say). */
  uid: number | null;
  inode: number;
}

/** What holds the endpoint, as far as this process can tell. */
export interface EndpointHolder extends EndpointSocket {
  pid: number | null;
  /** The holder's command name (/proc/<pid>/comm). */
  command: string | null;
}

const TCP_LISTEN = 0x0a;
const UNIX_ACCEPTING = 0x10000; // __SO_ACCEPTCON: a listening Unix socket
/** Processes looked at, at most, to find an inode's holder: the search must stay cheap on a busy machine. */
const MAX_PROCESSES = 10_000;

/** The sockets of /proc/net/tcp or tcp6 text listening on `port` (a leader's accepted connections share it: left out). */
export function tcpListenersOn(procNetTcp: string, port: number): EndpointSocket[] {
  const sockets: EndpointSocket[] = [];
  for (const line of procNetTcp.split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [, local, remote, stateHex, , , , uid, , inode] = fields;
    if (parseInt(stateHex, 16) !== TCP_LISTEN) continue;
    if (parseInt(local.split(':')[1] ?? '', 16) !== port || parseInt(remote.split(':')[1] ?? '', 16) !== 0) continue;
    const entry = { uid: Number(uid), inode: Number(inode) };
    if (Number.isSafeInteger(entry.uid) && Number.isSafeInteger(entry.inode) && entry.inode > 0) sockets.push(entry);
  }
  return sockets;
}

/** The sockets of /proc/net/unix text listening at `path`. */
export function unixListenersAt(procNetUnix: string, path: string): EndpointSocket[] {
  const sockets: EndpointSocket[] = [];
  for (const line of procNetUnix.split('\n').slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path (the path may hold spaces: it is the rest of the line)
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8 || fields.slice(7).join(' ') !== path || !(parseInt(fields[3], 16) & UNIX_ACCEPTING)) continue;
    const inode = Number(fields[6]);
    if (Number.isSafeInteger(inode) && inode > 0) sockets.push({ uid: null, inode });
  }
  return sockets;
}

/** The sockets listening on the endpoint (none where /proc cannot be read). */
async function listenersOn(endpoint: Endpoint): Promise<EndpointSocket[]> {
  if (endpoint.kind === 'unix') {
    const text = await readFile('/proc/net/unix', 'utf8').catch(() => '');
    return unixListenersAt(text, endpoint.path);
  }
  const tables = await Promise.all(['/proc/net/tcp', '/proc/net/tcp6'].map((file) => readFile(file, 'utf8').catch(() => '')));
  return tables.flatMap((text) => tcpListenersOn(text, endpoint.port));
}

/** The last inode looked up: an election that fails against the same holder every second does not scan /proc each time. */
let lastLookup: { inode: number; holder: { pid: number; command: string | null } | null } | null = null;

/** The process holding a socket inode, among those this user may inspect. */
async function processHolding(inode: number): Promise<{ pid: number; command: string | null } | null> {
  if (lastLookup?.inode !== inode) lastLookup = { inode, holder: await scanProcesses(inode) };
  return lastLookup.holder;
}

async function scanProcesses(inode: number): Promise<{ pid: number; command: string | null } | null> {
  const target = `socket:[${inode}]`;
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((name) => /^\d+$/.test(name)).slice(0, MAX_PROCESSES);
  for (const pid of pids) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) !== target) continue;
      const command = await readFile(`/proc/${pid}/comm`, 'utf8').then((text) => text.trim(), () => null);
      return { pid: Number(pid), command };
    }
  }
  return null;
}

/** What listens on the endpoint; null when /proc says nothing. */
export async function holderOf(endpoint: Endpoint): Promise<EndpointHolder | null> {
  const [socket] = await listenersOn(endpoint);
  if (!socket) return null;
  const holder = await processHolding(socket.inode);
  return { ...socket, pid: holder?.pid ?? null, command: holder?.command ?? null };
}

/** "pid 123 (python3), uid 0", as much of it as is known; null when nothing is. */
export function describeHolder(holder: EndpointHolder | null): string | null {
  if (!holder) return null;
  const parts: string[] = [];
  if (holder.pid !== null) parts.push(`pid ${holder.pid}${holder.command ? ` (${holder.command})` : ''}`);
  if (holder.uid !== null) parts.push(`uid ${holder.uid}${holder.uid === process.getuid?.() ? ' (this user)' : ' (another user)'}`);
  return parts.length ? parts.join(', ') : null;
}
