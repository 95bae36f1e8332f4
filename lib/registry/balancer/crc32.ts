import { crc32 } from './crc32-checksum.js';
import { RoundRobinStrategy } from './round-robin.js';
import { hasCapacity, type BalancingStrategy, type Candidate, type PickRequest } from './strategy.js';

/**
 * crc32(key) mod n over the servers in id order, as pinus routes a uid to a server. Every
 * process and machine computes the same answer for the same server list. Without a key,
 * or when the chosen server is full, requests fall back to round-robin.
 */
export class Crc32Strategy implements BalancingStrategy {
  readonly name = 'crc32' as const;
  private readonly fallback = new RoundRobinStrategy();

  pick(candidates: readonly Candidate[], request: PickRequest): Candidate | undefined {
    if (request.key === undefined) return this.fallback.pick(candidates, request);
    const chosen = candidates[crc32(request.key) % candidates.length];
    return hasCapacity(chosen, request) ? chosen : this.fallback.pick(candidates, request);
  }
}
