// The DataClient every implementation serves: an echo for calls, a ticker for fan-out.
// One class for all three so that only the transport differs between them.
import { EventEmitter } from 'node:events';
import { Base } from 'sdk-base';
import { monotonicNs } from './clock.js';

export interface TickRegistration {
  topic: string;
}

/** One fan-out event; `sentAtNs` is the machine-wide monotonic clock, so any process can compute the delay. */
export interface TickEvent {
  seq: number;
  sentAtNs: number;
}

export type TickListener = (event: TickEvent) => void;

export class EchoClient extends Base {
  /** The clients constructed in this process: the leader worker reaches the one its implementation created here. */
  static readonly instancesInThisProcess = new Set<EchoClient>();

  readonly #topics = new EventEmitter();

  constructor() {
    super();
    this.#topics.setMaxListeners(0);
    EchoClient.instancesInThisProcess.add(this);
    this.ready(true);
  }

  async echo<T>(value: T): Promise<T> {
    return value;
  }

  /** Which process answered: failover tells the old leader's answers from the new one's. */
  async hostPid(): Promise<number> {
    return process.pid;
  }

  subscribe(registration: TickRegistration, listener: TickListener): void {
    this.#topics.on(registration.topic, listener);
  }

  unSubscribe(registration: TickRegistration, listener?: TickListener): void {
    if (listener) this.#topics.off(registration.topic, listener);
    else this.#topics.removeAllListeners(registration.topic);
  }

  subscriberCount(topic: string): number {
    return this.#topics.listenerCount(topic);
  }

  /** Emits `count` events `intervalMs` apart; resolves after the last one. */
  emitTicks(topic: string, count: number, intervalMs: number): Promise<void> {
    return new Promise((resolve) => {
      let seq = 0;
      const tick = (): void => {
        this.#topics.emit(topic, { seq, sentAtNs: monotonicNs() } satisfies TickEvent);
        seq += 1;
        if (seq < count) setTimeout(tick, intervalMs);
        else resolve();
      };
      tick();
    });
  }

  // Base#close() calls this once.
  protected async _close(): Promise<void> {
    this.#topics.removeAllListeners();
    EchoClient.instancesInThisProcess.delete(this);
  }
}
