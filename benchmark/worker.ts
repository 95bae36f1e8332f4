// One benchmark process (leader or follower). Forked by the runner; takes commands over IPC,
// answers over IPC, and exits by itself: on `exit`, when the runner goes away, or at its deadline.
import net from 'node:net';
import { EchoClient } from './echo-client.js';
import { loadImplementation, type BenchClient } from './impl/implementation.js';
import { FailoverLoop, runPayload, runSequential, runThroughput, TickCollector } from './workloads.js';
import type { Command, ConnectResult, MemoryResult, Request, SentinelResult, WorkerMessage } from './worker-protocol.js';

const deadlineMs = Number(process.argv[2]);
if (!Number.isFinite(deadlineMs) || deadlineMs <= 0) throw new Error('usage: worker.ts <deadline ms> (forked by benchmark/run.ts)');
setTimeout(() => process.exit(3), deadlineMs).unref();
process.on('disconnect', () => process.exit(0));

let client: BenchClient | undefined;
/** What the process holds as an application's heap; never read, only kept alive. */
const applicationHeap: string[] = [];
let ticks: TickCollector | undefined;
let failover: FailoverLoop | undefined;

function send(message: WorkerMessage): void {
  process.send?.(message);
}

function connected(): BenchClient {
  if (!client) throw new Error('not connected');
  return client;
}

/** The EchoClient the implementation constructed in this process: only the leader has one. */
function localEchoClient(): EchoClient {
  const [local] = EchoClient.instancesInThisProcess;
  if (!local) throw new Error('this process does not host the EchoClient (it is not the leader)');
  return local;
}

async function handle(command: Command): Promise<unknown> {
  switch (command.type) {
    case 'connect': {
      // distinct 1 KiB strings: they stay on the V8 heap, where a Buffer's bytes would not
      for (let i = 0; i < command.heapMiB * 1024; i += 1) applicationHeap.push(`${i}`.padEnd(1024, '.'));
      const implementation = await loadImplementation(command.implementation);
      client = await implementation.connect(command.port, command.role);
      return { pid: process.pid, isLeader: client.isLeader } satisfies ConnectResult;
    }
    case 'sequential':
      return runSequential(connected(), command.calls, command.warmupCalls);
    case 'payload':
      return runPayload(connected(), command.kind, command.bytes, command.warmupMs, command.durationMs, command.minCalls);
    case 'throughput':
      return runThroughput(connected(), command.inFlight, command.durationMs, command.warmupMs);
    case 'memory': {
      const usage = process.memoryUsage();
      return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external } satisfies MemoryResult;
    }
    case 'subscribe-ticks': {
      const collector = new TickCollector();
      ticks = collector;
      connected().subscribe(command.topic, collector.listener);
      // Calls and subscriptions share one connection in order: once this echo is answered,
      // the leader has registered the subscription.
      await connected().echo('subscribed');
      return null;
    }
    case 'emit-ticks': {
      const local = localEchoClient();
      if (local.subscriberCount(command.topic) === 0) throw new Error(`no subscription to "${command.topic}" reached the leader`);
      await local.emitTicks(command.topic, command.events, command.intervalMs);
      return null;
    }
    case 'tick-report':
      if (!ticks) throw new Error('tick-report before subscribe-ticks');
      return ticks.report(command.events, command.settleMs);
    case 'failover-loop':
      failover = new FailoverLoop(connected(), command.oldLeaderPid, command.pauseAfterFailureMs, (pid) => {
        send({ notice: 'new-leader-answered', pid });
      });
      return null;
    case 'failover-report':
      if (!failover) throw new Error('failover-report before failover-loop');
      return failover.stop(5_000);
    case 'open-sentinel': {
      // A bare socket server whose connections the kernel closes when this process dies: the runner
      // sees how long a kill takes to reach a peer at all, before any library can react.
      const sentinel = net.createServer((socket) => socket.on('error', () => {}));
      await new Promise<void>((resolve) => sentinel.listen(0, '127.0.0.1', resolve));
      return { port: (sentinel.address() as net.AddressInfo).port } satisfies SentinelResult;
    }
    case 'exit':
      setImmediate(() => {
        void closeAndExit();
      });
      return null;
  }
}

async function closeAndExit(): Promise<void> {
  const closing = client?.close().catch(() => {});
  // a close that hangs must not keep the process alive
  await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 1_000))]);
  process.exit(0);
}

process.on('message', (request: Request) => {
  handle(request.command).then(
    (result) => send({ id: request.id, ok: true, result: result ?? null }),
    (err: unknown) => send({ id: request.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) }),
  );
});
