// Wire-format constants shared by both ends of a onelink socket.

/** Version byte at offset 0 of every frame header. */
export const PROTOCOL_VERSION = 2;

/** Every frame starts with a fixed 24-byte big-endian header. */
export const HEADER_SIZE = 24;

export const FrameKind = { REQUEST: 0, RESPONSE: 1 } as const;
export type FrameKind = 0 | 1;

/** Header flag bit 0: the application body is raw bytes (a Buffer payload sent as is), not an encoded value. */
export const FLAG_RAW_APPLICATION = 1;

/** Every flag bit this version knows; a header with any other bit set is rejected. */
export const KNOWN_FLAGS = FLAG_RAW_APPLICATION;

/** Largest connection + application body of one frame a decoder accepts by default (64 MiB). */
export const DEFAULT_MAX_FRAME_SIZE = 64 * 1024 * 1024;

/** `magic` field of the handshake (hello) object. */
export const HANDSHAKE_MAGIC = 'onelink';

/** Largest value of a uint32 header field (timeout, body lengths). */
export const MAX_UINT32 = 0xffffffff;

/** Largest high word of a request id: ids are JS safe integers, so at most 2^53 - 1. */
export const MAX_ID_HIGH_WORD = 0x1fffff;

/**
 * Bodies at least this large are written as their own buffer rather than copied next to the header;
 * smaller ones are copied when the frame is queued, so their buffer may be reused right after.
 */
export const COPY_LIMIT = 16 * 1024;

/** Every empty body: a zero-length Buffer holds nothing, so one is shared. */
export const EMPTY = Buffer.alloc(0);
