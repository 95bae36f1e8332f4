// The error of an option that is out of its range, until it joins the other typed errors.
import { OnelinkError } from './errors.js';

/** An option (or the environment variable standing for it) has a value outside its documented range. */
export class InvalidOptionError extends OnelinkError {
  constructor(readonly option: string, readonly value: unknown, expected: string) {
    super('ERR_ONELINK_INVALID_OPTION', `invalid option ${option}: ${describe(value)}; expected ${expected}`);
  }
}

/** A short, readable rendering of any value: strings quoted, functions and objects by kind. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (typeof value === 'function') return `function ${value.name || '(anonymous)'}`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return `array of ${value.length}`;
  if (value && typeof value === 'object') return `${value.constructor?.name ?? 'object'} { ${Object.keys(value).slice(0, 5).join(', ')} }`;
  return String(value);
}
