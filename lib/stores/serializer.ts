// Turns plain session data into the bytes a backend keeps, and back.
import { Packr } from 'msgpackr';
import { SessionDecodeError, StoreOptionsError } from './errors.js';
import type { SessionData } from './contract.js';
import type { SerializerOption } from './options.js';

export interface SessionSerializer {
  encode(value: unknown): Buffer | string;
  decode(raw: Buffer): unknown;
}

// Records would tie stored data to structure tables of one process; plain maps are self-describing.
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

const msgpack: SessionSerializer = {
  encode: (value) => packr.pack(value),
  decode: (raw) => packr.unpack(raw),
};

const json: SessionSerializer = {
  encode: (value) => JSON.stringify(value),
  decode: (raw) => JSON.parse(raw.toString('utf8')),
};

export function createSerializer(option: SerializerOption | undefined): SessionSerializer {
  if (option === undefined || option === 'msgpack') return msgpack;
  if (option === 'json') return json;
  if (typeof option === 'object' && option !== null && typeof option.stringify === 'function' && typeof option.parse === 'function') {
    return {
      encode: (value) => option.stringify(value),
      decode: (raw) => option.parse(raw.toString('utf8')),
    };
  }
  throw new StoreOptionsError(`serializer must be 'msgpack', 'json' or an object with stringify() and parse(), got ${String(option)}`);
}

/** Decodes a stored session; bytes that are not a session object fail with SessionDecodeError naming the key. */
export function decodeSession(serializer: SessionSerializer, backend: string, key: string, raw: Buffer): SessionData {
  let value: unknown;
  try {
    value = serializer.decode(raw);
  } catch (error) {
    throw new SessionDecodeError(backend, key, { cause: error });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new SessionDecodeError(backend, key);
  return value as SessionData;
}
