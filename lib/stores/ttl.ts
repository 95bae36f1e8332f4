// How long a session lives, with connect-redis semantics: the cookie's expiry when it has one,
// otherwise the store's ttl option (seconds, or a function of the session), otherwise one day.
import type { SessionData } from './contract.js';
import { StoreOptionsError } from './errors.js';
import { STORE_DEFAULTS, type TtlOption } from './options.js';

/** Milliseconds the session should live from now; zero or less means it has already expired. */
export function sessionTtlMs(session: SessionData, ttl: TtlOption | undefined, now: number = Date.now()): number {
  if (typeof ttl === 'function') return secondsToMs(ttl(session), 'ttl()');
  const expires = session.cookie?.expires;
  if (expires !== undefined && expires !== null) {
    const at = expires instanceof Date ? expires.getTime() : Date.parse(String(expires));
    if (!Number.isNaN(at)) return at - now;
  }
  return secondsToMs(ttl ?? STORE_DEFAULTS.ttlSeconds, 'ttl');
}

export function assertTtlOption(ttl: unknown): asserts ttl is TtlOption | undefined {
  if (ttl === undefined || typeof ttl === 'function') return;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl)) {
    throw new StoreOptionsError(`ttl must be a number of seconds or a function of the session, got ${String(ttl)}`);
  }
}

export function assertTtlMs(ttlMs: unknown): asserts ttlMs is number | undefined {
  if (ttlMs === undefined) return;
  if (typeof ttlMs !== 'number' || Number.isNaN(ttlMs)) {
    throw new StoreOptionsError(`ttlMs must be a number of milliseconds, got ${String(ttlMs)}`);
  }
}

function secondsToMs(seconds: unknown, what: string): number {
  if (typeof seconds !== 'number' || Number.isNaN(seconds)) {
    throw new StoreOptionsError(`${what} must give a number of seconds, got ${String(seconds)}`);
  }
  return seconds * 1000;
}
