// The error base of onelink and the registry that lets an error reply be rebuilt as its class.
// Every class has a stable `code` users can switch on; messages may change, codes do not.

export class OnelinkError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

const PROTOCOL_ERROR_CODES = [
  'ERR_ONELINK_PROTOCOL_VERSION',
  'ERR_ONELINK_PROTOCOL_FRAME_KIND',
  'ERR_ONELINK_PROTOCOL_FLAGS',
  'ERR_ONELINK_PROTOCOL_ID',
  'ERR_ONELINK_PROTOCOL_FRAME_TOO_LARGE',
  'ERR_ONELINK_PROTOCOL_BODY',
  'ERR_ONELINK_PROTOCOL_HANDSHAKE',
] as const;
export type ProtocolErrorCode = (typeof PROTOCOL_ERROR_CODES)[number];

/**
 * The bytes received do not follow the onelink wire format (or the handshake failed).
 * A stream that produced one is unusable: close the socket.
 */
export class ProtocolError extends OnelinkError {
  declare readonly code: ProtocolErrorCode;
  /** The protocol version the peer speaks, when the error is that it speaks another version of onelink. */
  readonly peerVersion?: number;

  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown; peerVersion?: number }) {
    super(code, message, options);
    if (options?.peerVersion !== undefined) this.peerVersion = options.peerVersion;
  }
}

/** A value could not be encoded for the wire (a function, a symbol, a cyclic object with the default transcode...). */
export class EncodeError extends OnelinkError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_ONELINK_ENCODE', message, options);
  }
}

/**
 * Any subclass of OnelinkError, whatever its constructor takes (every parameter list accepts `never`):
 * the registry never constructs one, errorFromWire only gives its prototype to a rebuilt Error.
 */
export type OnelinkErrorClass = abstract new (...args: never[]) => OnelinkError;

const classes = new Map<string, OnelinkErrorClass>();

/**
 * Makes errorFromWire rebuild an error reply carrying `code` as an instance of `Class`. Every module
 * that defines error classes registers them, so any process that loaded a class rebuilds its errors.
 * Registering another class for a code already taken is a bug: it throws.
 */
export function registerErrorClass(code: string, Class: OnelinkErrorClass): void {
  const known = classes.get(code);
  if (known !== undefined && known !== Class) throw new Error(`error code ${code} is already registered to ${known.name}`);
  classes.set(code, Class);
}

/** The class registered for a code, if any. */
export function errorClassOf(code: string): OnelinkErrorClass | undefined {
  return classes.get(code);
}

/** The codes registered so far, each with its class. */
export function registeredErrorClasses(): ReadonlyMap<string, OnelinkErrorClass> {
  return classes;
}

for (const code of PROTOCOL_ERROR_CODES) registerErrorClass(code, ProtocolError);
registerErrorClass('ERR_ONELINK_ENCODE', EncodeError);
