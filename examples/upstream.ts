// The "upstream service" of the demo: a line-based TCP server that counts the connections made to it
// and pushes a tick to every connected client. It stands for Redis, a registry, a config service...
import net from 'node:net';

export interface Upstream {
  port: number;
  /** connections open right now */
  readonly open: number;
  /** connections ever accepted */
  readonly total: number;
  close(): Promise<void>;
}

export async function startUpstream(tickMs = 100): Promise<Upstream> {
  const sockets = new Set<net.Socket>();
  const pids = new WeakMap<net.Socket, number>();
  let total = 0;
  let tick = 0;
  const server = net.createServer((socket) => {
    total++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    // Answers "query <n>" with "result <n*2>", and "connections" with the pid behind each open
    // connection (each client says "hello <pid>" first), one line each.
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let eol;
      while ((eol = buffered.indexOf('\n')) >= 0) {
        const [verb, arg] = buffered.slice(0, eol).split(' ');
        buffered = buffered.slice(eol + 1);
        if (verb === 'query') socket.write(`result ${Number(arg) * 2}\n`);
        else if (verb === 'hello') pids.set(socket, Number(arg));
        else if (verb === 'connections') socket.write(`connections ${[...sockets].map((s) => pids.get(s) ?? 0).join(',')}\n`);
      }
    });
  });
  const timer = setInterval(() => {
    tick++;
    for (const socket of sockets) socket.write(`tick ${tick}\n`);
  }, tickMs);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return sockets.size;
    },
    get total() {
      return total;
    },
    close() {
      clearInterval(timer);
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
