// A DataClient holding ONE connection to the upstream service. Under onelink only the leader
// process constructs it, so the machine holds one upstream connection however many workers run.
import { EventEmitter } from 'node:events';
import net from 'node:net';

export class UpstreamClient extends EventEmitter {
  private readonly socket: net.Socket;
  private readonly waiting: Array<(line: string) => void> = [];
  private readonly tickListeners = new Set<(tick: number) => void>();
  private readonly connected: Promise<void>;

  constructor(options: { port: number }) {
    super();
    this.socket = net.connect(options.port, '127.0.0.1');
    this.socket.write(`hello ${process.pid}\n`);
    this.connected = new Promise((resolve, reject) => {
      this.socket.once('connect', resolve);
      this.socket.once('error', reject);
    });
    let buffered = '';
    this.socket.on('data', (chunk) => {
      buffered += chunk.toString('utf8');
      let eol;
      while ((eol = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, eol);
        buffered = buffered.slice(eol + 1);
        if (line.startsWith('tick ')) {
          for (const listener of this.tickListeners) listener(Number(line.slice(5)));
        } else {
          this.waiting.shift()?.(line);
        }
      }
    });
  }

  ready(): Promise<void> {
    return this.connected;
  }

  /** Asks the upstream to double n. */
  async query(n: number): Promise<number> {
    return Number((await this.ask(`query ${n}`)).split(' ')[1]);
  }

  /** The pid of the process behind each connection the upstream holds, as the upstream counts them. */
  async connections(): Promise<number[]> {
    const list = (await this.ask('connections')).split(' ')[1];
    return list ? list.split(',').map(Number) : [];
  }

  private ask(line: string): Promise<string> {
    return new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(`${line}\n`);
    });
  }

  subscribe(_reg: { topic: 'ticks' }, listener: (tick: number) => void): void {
    this.tickListeners.add(listener);
  }

  unSubscribe(_reg: { topic: 'ticks' }, listener?: (tick: number) => void): void {
    if (listener) this.tickListeners.delete(listener);
    else this.tickListeners.clear();
  }

  async close(): Promise<void> {
    this.socket.destroy();
  }
}
