// `onelink/protocol`: the whole onelink wire format, for tools that speak it. Pure: no sockets, no
// timers, and nothing from the client library, so a tool can speak the protocol from this alone.
//
// - constants: header layout and sizes, frame kinds, flag bits, the default frame-size limit, EMPTY.
// - frame: writeHeader / encodeFrame, and decodeHeader (with readHeader, its throwing form),
//   the one reader of the 24-byte header.
// - decoder: FrameDecoder, a streaming byte → frame state machine.
// - codec: the MessagePack value codec (encodeValue / decodeValue, defaultTranscode).
// - auth: the authenticated handshake each connection starts with (ConnectingHandshake for a
//   follower or tool, LeaderHandshake for the leader; AuthError, MAX_HANDSHAKE_FRAME_SIZE).
// - messages: the connection object of each frame (Op table, OK/ERROR response markers,
//   encodeConnection / decodeConnection) and the heartbeat (PING, isPing / isPong).
// - payload: application bodies (arguments, results, values), with the raw-Buffer flag rules.
// - errors: OnelinkError (the base of every onelink error), ProtocolError, EncodeError, and the
//   registry of error classes by code; error-wire: errorToWire / errorFromWire.
export * from './constants.js';
export * from './errors.js';
export * from './error-wire.js';
export * from './frame.js';
export * from './decoder.js';
export * from './codec.js';
export * from './auth.js';
export * from './messages.js';
export * from './payload.js';
