// The network of real processes: node:net sockets on the loopback interface, or Unix sockets.
import net from 'node:net';
import { claimSocketPath } from '../security/socket-path.js';
import type { Connection, ConnectionHandler, Endpoint, Listener, Network } from './connection.js';

class SocketConnection implements Connection {
  private handler: ConnectionHandler | null = null;
  /** Read at once: a destroyed socket no longer knows its peer's address. */
  private peer: string | null;

  constructor(private readonly socket: net.Socket) {
    this.peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : null;
    socket.setNoDelay(true);
    socket.on('connect', () => {
      this.peer ??= socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort}` : null;
      this.handler?.onConnect();
    });
    socket.on('data', (chunk: Buffer) => this.handler?.onData(chunk));
    socket.on('error', (err) => this.handler?.onError(err));
    socket.on('close', () => this.handler?.onClose());
  }

  get remote(): string {
    return this.peer ?? 'a Unix socket peer';
  }

  get writableLength(): number {
    return this.socket.writableLength;
  }

  setHandler(handler: ConnectionHandler): void {
    this.handler = handler;
  }

  write(chunk: Buffer): void {
    this.socket.write(chunk);
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

class SocketListener implements Listener {
  private accepted: SocketConnection[] | null = [];
  private onConnection: ((connection: Connection) => void) | null = null;

  constructor(private readonly server: net.Server) {
    server.on('connection', (socket) => {
      const connection = new SocketConnection(socket);
      if (this.onConnection) this.onConnection(connection);
      else this.accepted?.push(connection);
    });
  }

  accept(onConnection: (connection: Connection) => void, onError: (error: Error) => void): void {
    this.onConnection = onConnection;
    this.server.on('error', onError);
    const accepted = this.accepted ?? [];
    this.accepted = null;
    for (const connection of accepted) onConnection(connection);
  }

  /** On a Unix socket, also removes the socket file (node:net unlinks it). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export const socketNetwork: Network = {
  async listen(endpoint: Endpoint): Promise<Listener | null> {
    const server = net.createServer();
    if (endpoint.kind === 'unix') {
      // A socket file left by a dead leader is claimed; a live one is never unlinked.
      return (await claimSocketPath(server, endpoint.path)) === 'listening' ? new SocketListener(server) : null;
    }
    return new Promise((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE') resolve(null);
        else reject(err);
      });
      // exclusive: node:cluster workers would otherwise share the master's handle and all "win".
      server.listen({ port: endpoint.port, host: '127.0.0.1', exclusive: true }, () => {
        server.removeAllListeners('error');
        resolve(new SocketListener(server));
      });
    });
  },

  connect(endpoint: Endpoint): Connection {
    const socket = endpoint.kind === 'unix' ? net.connect(endpoint.path) : net.connect({ port: endpoint.port, host: '127.0.0.1' });
    return new SocketConnection(socket);
  },
};
