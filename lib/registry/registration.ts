import { InvalidRegistrationError } from './errors.js';
import { reachableAddress } from './host-address.js';
import type { ServerRecord, ServerRegistration } from './types.js';

/** Checks a registration and fills in its defaults; runs in the registering process (it knows its port). */
export function toServerRecord(registration: ServerRegistration): ServerRecord {
  if (!registration || typeof registration.type !== 'string' || registration.type === '') {
    throw new InvalidRegistrationError('register() needs a non-empty string "type"');
  }
  const address = reachableAddress(registration.address, registration.port);
  if (!address) throw new InvalidRegistrationError(`register() of type "${registration.type}" needs an "address" or a "port"`);
  const weight = registration.weight ?? 1;
  if (!(weight >= 0) || !Number.isFinite(weight)) throw new InvalidRegistrationError(`weight must be a finite number >= 0, got ${registration.weight}`);
  const id = registration.id ?? `${registration.type}@${address}`;
  const record: ServerRecord = {
    id,
    type: registration.type,
    address,
    priority: registration.priority ?? 0,
    weight,
    meta: registration.meta ?? {},
    maintenance: false,
  };
  if (registration.healthCheck) record.healthCheck = { ...registration.healthCheck };
  return record;
}
