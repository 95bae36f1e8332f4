// The baseline: a plain net server holding the EchoClient and plain socket clients. No election,
// no reconnection, no timeouts: what the loopback costs before any leader/follower machinery.
import net from 'node:net';
import { EchoClient, type TickEvent, type TickListener } from '../echo-client.js';
import { encodeFrame, FrameReader, writeFrame, type RawEvent, type RawRequest, type RawResponse } from './raw-protocol.js';
import type { BenchClient, Implementation, Role } from './implementation.js';

type Invokable = 'echo' | 'hostPid';

function serve(port: number): Promise<{ client: EchoClient; server: net.Server }> {
  const client = new EchoClient();
  const subscribers = new Map<string, Set<net.Socket>>();

  const subscribe = (topic: string, socket: net.Socket): void => {
    let sockets = subscribers.get(topic);
    if (!sockets) {
      const topicSockets = new Set<net.Socket>();
      sockets = topicSockets;
      subscribers.set(topic, topicSockets);
      client.subscribe({ topic }, (event: TickEvent) => {
        const frame = encodeFrame({ topic, event: undefined }, 'event', event);
        for (const subscriber of topicSockets) writeFrame(subscriber, frame);
      });
    }
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };

  const server = net.createServer({ noDelay: true }, (socket) => {
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader((request: RawRequest, attachment) => {
      const arg = attachment ?? request.arg;
      if (request.method === 'subscribe') {
        subscribe((arg as { topic: string }).topic, socket);
        writeFrame(socket, encodeFrame({ id: request.id }, 'result', undefined));
        return;
      }
      client[request.method as Invokable](arg).then(
        (result) => writeFrame(socket, encodeFrame({ id: request.id }, 'result', result)),
        (err: Error) => writeFrame(socket, encodeFrame({ id: request.id, error: err.message }, 'result', undefined)),
      );
    });
    socket.on('data', (chunk) => reader.push(chunk));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => resolve({ client, server }));
  });
}

class RawServerSide implements BenchClient {
  readonly isLeader = true;

  constructor(private readonly client: EchoClient, private readonly server: net.Server) {}

  echo<T>(value: T): Promise<T> {
    return this.client.echo(value);
  }

  hostPid(): Promise<number> {
    return this.client.hostPid();
  }

  subscribe(topic: string, listener: TickListener): void {
    this.client.subscribe({ topic }, listener);
  }

  async close(): Promise<void> {
    this.server.close();
    await this.client.close();
  }
}

class RawSocketClient implements BenchClient {
  readonly isLeader = false;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (value: unknown) => void; reject: (err: Error) => void }>();
  readonly #listeners = new Map<string, TickListener[]>();

  constructor(private readonly socket: net.Socket) {
    const reader = new FrameReader<RawResponse | RawEvent>((message, attachment) => {
      if ('topic' in message) {
        for (const listener of this.#listeners.get(message.topic) ?? []) listener(message.event as TickEvent);
        return;
      }
      const call = this.#pending.get(message.id);
      if (!call) return;
      this.#pending.delete(message.id);
      if (message.error) call.reject(new Error(message.error));
      else call.resolve(attachment ?? message.result);
    });
    socket.on('data', (chunk) => reader.push(chunk));
    socket.on('close', () => {
      for (const call of this.#pending.values()) call.reject(new Error('raw server connection closed'));
      this.#pending.clear();
    });
  }

  #call(method: string, arg?: unknown): Promise<unknown> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed) {
        reject(new Error('raw server connection closed'));
        return;
      }
      this.#pending.set(id, { resolve, reject });
      writeFrame(this.socket, encodeFrame({ id, method }, 'arg', arg));
    });
  }

  echo<T>(value: T): Promise<T> {
    return this.#call('echo', value) as Promise<T>;
  }

  hostPid(): Promise<number> {
    return this.#call('hostPid') as Promise<number>;
  }

  subscribe(topic: string, listener: TickListener): void {
    const listeners = this.#listeners.get(topic);
    if (listeners) {
      listeners.push(listener);
      return;
    }
    this.#listeners.set(topic, [listener]);
    this.#call('subscribe', { topic }).catch(() => {});
  }

  async close(): Promise<void> {
    this.socket.destroy();
  }
}

function connectSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => socket.destroy());
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

export const raw: Implementation = {
  name: 'raw',
  hasFailover: false,
  async connect(port: number, role: Role): Promise<BenchClient> {
    if (role === 'leader') {
      const { client, server } = await serve(port);
      return new RawServerSide(client, server);
    }
    return new RawSocketClient(await connectSocket(port));
  },
};
