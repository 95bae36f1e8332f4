// A network inside one process, for unit tests of what runs over connections: the election,
// the leader and the follower link. An endpoint can be listened on, or held by something that
// refuses, resets, stays silent or answers what a test wants.
import { describeEndpoint, type Connection, type ConnectionHandler, type Endpoint, type Listener, type Network } from './connection.js';

let nextConnection = 1;

export class MemoryConnection implements Connection {
  readonly remote = `memory:${nextConnection++}`;
  peer: MemoryConnection | null = null;
  /** Written while the peer does not read: it waits on this side, as in a socket's buffer. */
  private backlog: Buffer[] = [];
  writableLength = 0;
  /** This end has stopped reading (a stopped or stuck process). */
  private paused = false;
  private handler: ConnectionHandler | null = null;
  /** No more writes. */
  private closed = false;
  /** onClose was reported. */
  private finished = false;

  setHandler(handler: ConnectionHandler): void {
    this.handler = handler;
  }

  write(chunk: Buffer): void {
    const peer = this.peer;
    if (this.closed || !peer) return;
    const copy = Buffer.from(chunk);
    if (peer.paused) {
      this.backlog.push(copy);
      this.writableLength += copy.length;
      return;
    }
    // setImmediate keeps the order of writes and lets timers and I/O of the other side run in between.
    setImmediate(() => peer.receive(copy));
  }

  end(): void {
    this.destroy();
  }

  /** This end stops taking bytes: what the peer writes waits in the peer's writableLength. */
  pauseReading(): void {
    this.paused = true;
  }

  resumeReading(): void {
    this.paused = false;
    const peer = this.peer;
    if (!peer) return;
    const backlog = peer.backlog;
    peer.backlog = [];
    peer.writableLength = 0;
    for (const chunk of backlog) setImmediate(() => this.receive(chunk));
  }

  /** Closes this end; the peer closes after it has received what was written before. */
  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    const peer = this.peer;
    this.peer = null;
    this.backlog = [];
    this.writableLength = 0;
    setImmediate(() => {
      this.finish();
      peer?.destroy();
    });
  }

  connected(): void {
    setImmediate(() => {
      if (!this.closed) this.handler?.onConnect();
    });
  }

  /** Fails with an errno, as a refused or reset socket does, then closes. */
  fail(code: string): void {
    setImmediate(() => {
      if (this.finished) return;
      this.closed = true;
      this.peer = null;
      this.handler?.onError(Object.assign(new Error(`${code} (memory network)`), { code }));
      this.finish();
    });
  }

  private receive(chunk: Buffer): void {
    if (!this.finished) this.handler?.onData(chunk);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.handler?.onClose();
  }
}

/** Two connected ends: what one writes, the other receives. */
export function connectionPair(): [Connection, Connection] {
  const a = new MemoryConnection();
  const b = new MemoryConnection();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

/** What holds an endpoint instead of a listener: it refuses, resets, stays silent, or is a function given each connection. */
export type Holder = 'refuse' | 'reset' | 'silent' | ((connection: Connection) => void);

class MemoryListener implements Listener {
  private accepted: Connection[] | null = [];
  private onConnection: ((connection: Connection) => void) | null = null;

  constructor(private readonly release: () => void) {}

  accept(onConnection: (connection: Connection) => void): void {
    this.onConnection = onConnection;
    for (const connection of this.accepted ?? []) onConnection(connection);
    this.accepted = null;
  }

  deliver(connection: Connection): void {
    if (this.onConnection) this.onConnection(connection);
    else this.accepted?.push(connection);
  }

  close(): Promise<void> {
    this.release();
    return Promise.resolve();
  }
}

export class MemoryNetwork implements Network {
  private readonly listeners = new Map<string, MemoryListener>();
  private readonly holders = new Map<string, { holder: Holder; times: number }>();
  /** Connection attempts per endpoint. */
  readonly connects = new Map<string, number>();

  /** Makes `holder` answer the next `times` connections to the endpoint, which is in use meanwhile. */
  hold(endpoint: Endpoint, holder: Holder, times = Number.POSITIVE_INFINITY): void {
    this.holders.set(describeEndpoint(endpoint), { holder, times });
  }

  release(endpoint: Endpoint): void {
    this.holders.delete(describeEndpoint(endpoint));
  }

  listen(endpoint: Endpoint): Promise<Listener | null> {
    const key = describeEndpoint(endpoint);
    if (this.listeners.has(key) || this.holders.has(key)) return Promise.resolve(null);
    const listener: MemoryListener = new MemoryListener(() => {
      if (this.listeners.get(key) === listener) this.listeners.delete(key);
    });
    this.listeners.set(key, listener);
    return Promise.resolve(listener);
  }

  connect(endpoint: Endpoint): Connection {
    const key = describeEndpoint(endpoint);
    this.connects.set(key, (this.connects.get(key) ?? 0) + 1);
    const [client, server] = connectionPair() as [MemoryConnection, MemoryConnection];
    const listener = this.listeners.get(key);
    const held = this.holders.get(key);
    if (listener) {
      listener.deliver(server);
      client.connected();
      return client;
    }
    if (!held) {
      client.fail('ECONNREFUSED');
      return client;
    }
    if (--held.times <= 0) this.holders.delete(key);
    const { holder } = held;
    if (holder === 'refuse') {
      client.fail('ECONNREFUSED');
    } else if (holder === 'reset') {
      client.connected();
      client.fail('ECONNRESET');
    } else {
      client.connected();
      server.setHandler({ onConnect() {}, onData() {}, onError() {}, onClose() {} });
      if (holder !== 'silent') holder(server);
    }
    return client;
  }
}
