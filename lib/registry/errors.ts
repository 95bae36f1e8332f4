// Registry errors; each has a stable `code`.
import { registerErrorClass } from '../../protocol/errors.js';
import { OnelinkError } from '../errors.js';

/** The registry's Redis could not be reached when the leader started it (retried when the registry is used again). */
export class RegistryUnavailableError extends OnelinkError {
  /** `where`: the URL, or the seed nodes of a Redis Cluster. */
  constructor(where: string, waitedMs: number, options?: { cause?: unknown }) {
    super('ERR_ONELINK_REGISTRY_UNAVAILABLE', `the registry's Redis at ${where} did not answer within ${waitedMs} ms`, options);
  }
}

/** No live, healthy, non-maintenance server of the type is left to pick from. */
export class NoServerError extends OnelinkError {
  constructor(readonly type: string) {
    super('ERR_ONELINK_REGISTRY_NO_SERVER', `no live server of type "${type}" is available (none registered, or all dead, excluded, in maintenance or failing their health check)`);
  }
}

/** Every candidate server is at `maxConcurrent` requests in flight. */
export class NoCapacityError extends OnelinkError {
  constructor(readonly type: string, maxConcurrent: number, waitedMs: number) {
    super('ERR_ONELINK_REGISTRY_NO_CAPACITY', `every server of type "${type}" has ${maxConcurrent} requests in flight` + (waitedMs > 0 ? `, and none freed a slot within ${waitedMs} ms` : ''));
  }
}

export class UnknownServerError extends OnelinkError {
  constructor(readonly serverId: string) {
    super('ERR_ONELINK_REGISTRY_UNKNOWN_SERVER', `no live server is registered with id "${serverId}"`);
  }
}

export class InvalidRegistrationError extends OnelinkError {
  constructor(message: string) {
    super('ERR_ONELINK_REGISTRY_INVALID', message);
  }
}

for (const [code, Class] of [
  ['ERR_ONELINK_REGISTRY_UNAVAILABLE', RegistryUnavailableError],
  ['ERR_ONELINK_REGISTRY_NO_SERVER', NoServerError],
  ['ERR_ONELINK_REGISTRY_NO_CAPACITY', NoCapacityError],
  ['ERR_ONELINK_REGISTRY_UNKNOWN_SERVER', UnknownServerError],
  ['ERR_ONELINK_REGISTRY_INVALID', InvalidRegistrationError],
] as const) {
  registerErrorClass(code, Class);
}
