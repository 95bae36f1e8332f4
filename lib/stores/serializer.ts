// Turns plain session data into the bytes a backend keeps, and back.
import { Packr } from 'msgpackr';
import { StoreOptionsError } from './errors.js';
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
