// What the table shows, in which unit, and the targets onelink is held to (medians of the run).
import { KiB, MiB, type BenchConfig, type PayloadKind } from './config.js';
import type { ImplementationName } from './impl/implementation.js';

export type Medians = Partial<Record<ImplementationName, number | null>>;

export interface Target {
  text: string;
  met(medians: Medians): boolean;
}

export interface MetricDefinition {
  key: string;
  label: string;
  decimals: number;
  target?: Target;
}

function available(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function atMost(limit: number, unit: string): Target {
  return { text: `≤ ${limit}${unit}`, met: (m) => available(m.onelink) && m.onelink <= limit };
}

function none(): Target {
  return { text: '= 0', met: (m) => available(m.onelink) && m.onelink === 0 };
}

function atLeast(limit: number, unit: string): Target {
  return { text: `≥ ${limit}${unit}`, met: (m) => available(m.onelink) && m.onelink >= limit };
}

export function sizeLabel(bytes: number): string {
  return bytes >= MiB ? `${bytes / MiB} MiB` : `${bytes / KiB} KiB`;
}

export function payloadKey(kind: PayloadKind, bytes: number): string {
  return `payload.${kind}.${bytes}`;
}

const PAYLOAD_TARGETS: Record<string, number> = {
  [payloadKey('buffer', MiB)]: 500,
  [payloadKey('buffer', 64 * KiB)]: 300,
  [payloadKey('string', MiB)]: 200,
};

export function metricDefinitions(config: BenchConfig): MetricDefinition[] {
  const payload: MetricDefinition[] = [];
  for (const kind of config.payload.kinds) {
    for (const bytes of config.payload.bytes) {
      const key = payloadKey(kind, bytes);
      const target = PAYLOAD_TARGETS[key];
      payload.push({
        key,
        label: `payload: ${sizeLabel(bytes)} ${kind} echo, MiB/s`,
        decimals: 1,
        target: target === undefined ? undefined : atLeast(target, ' MiB/s'),
      });
    }
  }
  return [
    {
      key: 'sequential.p50Us', label: 'sequential invoke: p50 µs', decimals: 1,
      target: { text: '≤ 1.1× raw', met: (m) => available(m.onelink) && available(m.raw) && m.onelink <= 1.1 * m.raw },
    },
    { key: 'sequential.p90Us', label: 'sequential invoke: p90 µs', decimals: 1 },
    { key: 'sequential.p99Us', label: 'sequential invoke: p99 µs', decimals: 1 },
    { key: 'sequential.maxUs', label: 'sequential invoke: max µs', decimals: 0 },
    { key: 'sequential.callsPerSec', label: 'sequential invoke: calls/s', decimals: 0 },
    { key: 'leaderLocal.p50Us', label: 'sequential invoke in the leader process: p50 µs', decimals: 1 },
    { key: 'leaderLocal.callsPerSec', label: 'sequential invoke in the leader process: calls/s', decimals: 0 },
    {
      key: 'throughput.callsPerSec',
      label: `throughput: ${config.throughput.followers} followers × ${config.throughput.inFlight} in flight, calls/s`,
     
      decimals: 0,
      target: {
        text: '≥ 1.0× raw and ≥ 1.8× cluster-client',
        met: (m) => available(m.onelink) && available(m.raw) && available(m['cluster-client'])
          && m.onelink >= m.raw && m.onelink >= 1.8 * m['cluster-client'],
      },
    },
    { key: 'throughput.p99Us', label: 'throughput: p99 µs', decimals: 0 },
    ...payload,
    { key: 'fanout.p50Us', label: `fan-out to ${config.throughput.followers} followers: delivery p50 µs`, decimals: 0 },
    { key: 'fanout.p99Us', label: 'fan-out: delivery p99 µs', decimals: 0, target: atMost(400, ' µs') },
    { key: 'fanout.lost', label: 'fan-out: lost events', decimals: 0, target: none() },
    { key: 'fanout.reordered', label: 'fan-out: reordered events', decimals: 0, target: none() },
    { key: 'fanout.duplicated', label: 'fan-out: duplicated events', decimals: 0, target: none() },
    {
      key: 'failover.slowestMs', label: 'failover: kill -9 → slowest follower served again, ms', decimals: 1,
      target: atMost(15, ' ms'),
    },
    { key: 'failover.fastestMs', label: 'failover: kill -9 → fastest follower served again, ms', decimals: 1 },
    { key: 'failover.socketClosedMs', label: 'failover: kill -9 → a plain socket to the leader sees the close, ms (kernel floor)', decimals: 1 },
    { key: 'failover.failedCalls', label: 'failover: failed calls, all followers', decimals: 0, target: none() },
    { key: 'memory.leaderRssMiB', label: 'RSS after throughput: leader MiB', decimals: 1 },
    {
      key: 'memory.followerRssMiB', label: 'RSS after throughput: largest follower MiB', decimals: 1,
      target: { text: '≤ raw + 8 MiB', met: (m) => available(m.onelink) && available(m.raw) && m.onelink <= m.raw + 8 },
    },
  ];
}
