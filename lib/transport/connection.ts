// The seam under the protocol: a byte connection, and a network on which a process listens on an
// endpoint or connects to it. socket.ts implements it over node:net, memory.ts in memory for tests.

/** Where the processes of one machine meet: a TCP port on the loopback interface, or a Unix socket (an absolute path). */
export type Endpoint = { kind: 'tcp'; port: number } | { kind: 'unix'; path: string };

/** The endpoint as messages name it. */
export function describeEndpoint(endpoint: Endpoint): string {
  return endpoint.kind === 'unix' ? endpoint.path : `127.0.0.1:${endpoint.port}`;
}

/** What a connection reports, in this order: onConnect (outgoing ones), onData..., onError..., onClose once. */
export interface ConnectionHandler {
  /** An outgoing connection is established. */
  onConnect(): void;
  onData(chunk: Buffer): void;
  /** The connection failed; `error.code` is the errno (ECONNREFUSED, ECONNRESET...). onClose follows. */
  onError(error: NodeJS.ErrnoException): void;
  onClose(): void;
}

export interface Connection {
  /** The peer, for log lines. */
  readonly remote: string;
  /** Bytes written but not yet taken by the peer (the kernel, for a socket). */
  readonly writableLength: number;
  /** Set once, right after the connection is created or accepted (events come no earlier than the next tick). */
  setHandler(handler: ConnectionHandler): void;
  /** Takes ownership of `chunk`: it must not be changed until written. */
  write(chunk: Buffer): void;
  /** Closes after what is written has left. */
  end(): void;
  destroy(): void;
}

/** A listening endpoint: the connections it accepts. */
export interface Listener {
  /** Receives every accepted connection; those accepted before this call are handed over at once. */
  accept(onConnection: (connection: Connection) => void, onError: (error: Error) => void): void;
  /** Stops accepting; resolves once the endpoint is free. Accepted connections stay open. */
  close(): Promise<void>;
}

export interface Network {
  /** Takes the endpoint for this process alone; null when something else holds it. Other failures reject. */
  listen(endpoint: Endpoint): Promise<Listener | null>;
  /** Starts connecting; the handler hears onConnect, or onError and onClose. */
  connect(endpoint: Endpoint): Connection;
}
