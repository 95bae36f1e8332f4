import { createHash } from 'node:crypto';
import { REGISTRY_DEFAULTS } from '../options.js';
import { RoundRobinStrategy } from './round-robin.js';
import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/** Fixed, not an option: every machine must build the same ring. */
const DIGESTS_PER_SERVER = REGISTRY_DEFAULTS.balancer.consistentHashDigestsPerServer;

interface RingPoint { readonly hash: number; readonly id: string }

function md5(text: string): Buffer {
  return createHash('md5').update(text).digest();
}

/**
 * Ketama-style consistent hashing: each server owns 160 pseudo-random points on a 32-bit
 * ring and a key goes to the first point at or after its own hash. Removing one of n
 * servers only moves the keys that server owned, about 1/n of them.
 */
export class ConsistentHashStrategy implements BalancingStrategy {
  readonly name = 'consistent-hash' as const;
  private readonly fallback = new RoundRobinStrategy();
  private ring: RingPoint[] = [];
  private ringOf = '';

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    if (request.key === undefined) return this.fallback.pick(candidates, request);
    const ring = this.ringFor(candidates);
    const byId = new Map(candidates.map((c) => [c.id, c]));
    const hash = md5(request.key).readUInt32LE(0);
    let index = firstAtOrAfter(ring, hash);
    // A full owner hands the key to the next distinct server clockwise.
    const seen = new Set<string>();
    for (let step = 0; step < ring.length && seen.size < candidates.length; step++, index++) {
      const candidate = byId.get(ring[index % ring.length].id)!;
      if (seen.has(candidate.id)) continue;
      seen.add(candidate.id);
      if (hasCapacity(candidate, request)) return candidate;
    }
    return undefined;
  }

  private ringFor(candidates: readonly Candidate[]): RingPoint[] {
    const signature = candidates.map((c) => c.id).join('\u0000');
    if (signature === this.ringOf) return this.ring;
    const ring: RingPoint[] = [];
    for (const candidate of candidates) {
      for (let i = 0; i < DIGESTS_PER_SERVER; i++) {
        const digest = md5(`${candidate.id}-${i}`);
        for (let part = 0; part < 4; part++) ring.push({ hash: digest.readUInt32LE(part * 4), id: candidate.id });
      }
    }
    ring.sort((a, b) => a.hash - b.hash || (a.id < b.id ? -1 : 1));
    this.ring = ring;
    this.ringOf = signature;
    return ring;
  }
}

function firstAtOrAfter(ring: readonly RingPoint[], hash: number): number {
  let low = 0;
  let high = ring.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (ring[mid].hash < hash) low = mid + 1; else high = mid;
  }
  return low === ring.length ? 0 : low;
}
