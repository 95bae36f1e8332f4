import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FrameDecoder, ProtocolError, decodeValue, encodeFrame, encodeValue } from '../../../protocol/index.js';
import type { Frame, FrameKind } from '../../../protocol/index.js';
import { plain } from './helpers.js';
import type { FrameSpec } from './helpers.js';

const buffer = (maxLength: number) => fc.uint8Array({ maxLength }).map((u) => Buffer.from(u));

const frameSpec: fc.Arbitrary<FrameSpec> = fc.record({
  kind: fc.constantFrom<FrameKind>(0, 1),
  flags: fc.constantFrom(0, 1),
  id: fc.oneof(fc.maxSafeNat(), fc.nat({ max: 10 }), fc.constant(2 ** 32)),
  timeout: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constant(0)),
  connection: buffer(300),
  application: fc.oneof(buffer(100), buffer(4000)),
});

/** Cuts bytes at the given points (taken modulo the length), keeping every byte once, in order. */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let start = 0;
  for (const p of points) {
    chunks.push(bytes.subarray(start, p));
    start = p;
  }
  chunks.push(bytes.subarray(start));
  return chunks;
}

/** Feeds chunks, asserting push() never throws and errors are ProtocolErrors reported at most once. */
function feed(chunks: Buffer[], maxFrameSize?: number): { frames: Frame[]; errors: unknown[] } {
  const frames: Frame[] = [];
  const errors: unknown[] = [];
  const decoder = new FrameDecoder({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e) }, { maxFrameSize });
  for (const chunk of chunks) decoder.push(chunk);
  assert.ok(errors.length <= 1, 'onError is called at most once');
  for (const e of errors) assert.ok(e instanceof ProtocolError, `only ProtocolErrors, got ${String(e)}`);
  if (errors.length === 0) assert.equal(decoder.failed, false);
  else assert.equal(decoder.pending, 0);
  return { frames, errors };
}

describe('protocol: properties (fast-check)', () => {
  it('any frames, concatenated and split at any points, decode to exactly the same frames', () => {
    fc.assert(
      fc.property(fc.array(frameSpec, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 12 }), (specs, cuts) => {
        const bytes = Buffer.concat(specs.map((s) => encodeFrame(s.kind, s.flags, s.id, s.timeout, s.connection, s.application)));
        const { frames, errors } = feed(split(bytes, cuts));
        assert.deepEqual(errors, []);
        assert.deepEqual(frames.map(plain), specs.map(plain));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes never make push() throw, and only ever report a ProtocolError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        feed(split(Buffer.from(bytes), cuts));
      }),
      { numRuns: 300 },
    );
  });

  it('random bytes or random header fields after valid frames never throw, and the valid frames are delivered', () => {
    // Headers with version 1 and random other fields reach every check, not only the version one.
    const nearlyValidHeader = fc
      .record({
        kind: fc.nat({ max: 3 }),
        flags: fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: 0xffff })),
        idHigh: fc.oneof(fc.nat({ max: 0x200001 }), fc.constant(0xffffffff)),
        idLow: fc.nat(),
        timeout: fc.nat(),
        connectionLength: fc.oneof(fc.nat({ max: 64 }), fc.constant(0xffffffff)),
        applicationLength: fc.oneof(fc.nat({ max: 64 }), fc.nat()),
        tail: fc.uint8Array({ maxLength: 80 }),
      })
      .map((h) => {
        const b = Buffer.alloc(24);
        b[0] = 1;
        b[1] = h.kind;
        b.writeUInt16BE(h.flags, 2);
        b.writeUInt32BE(h.idHigh, 4);
        b.writeUInt32BE(h.idLow, 8);
        b.writeUInt32BE(h.timeout, 12);
        b.writeUInt32BE(h.connectionLength, 16);
        b.writeUInt32BE(h.applicationLength, 20);
        return Buffer.concat([b, h.tail]);
      });
    const garbage = fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }).map((u) => Buffer.from(u)), nearlyValidHeader);
    fc.assert(
      fc.property(
        fc.array(frameSpec, { maxLength: 3 }),
        garbage,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.constantFrom(undefined, 0, 50, 1000),
        (specs, junk, cuts, maxFrameSize) => {
          const limit = maxFrameSize ?? Infinity;
          const valid = specs.filter((s) => s.connection.length + s.application.length <= limit);
          const prefix = Buffer.concat(valid.map((s) => encodeFrame(s.kind, s.flags, s.id, s.timeout, s.connection, s.application)));
          const { frames } = feed(split(Buffer.concat([prefix, junk]), cuts), maxFrameSize);
          assert.ok(frames.length >= valid.length);
          assert.deepEqual(frames.slice(0, valid.length).map(plain), valid.map(plain));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the codec round-trips JSON-like values with Buffers and Dates', () => {
    const leaf = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.uint8Array({ maxLength: 64 }).map((u) => Buffer.from(u)),
      fc.date({ noInvalidDate: true }),
    );
    const { value } = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        leaf,
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(fc.string(), tie('value'), { maxKeys: 5 }),
      ),
    }));
    fc.assert(
      fc.property(value, (v) => {
        assert.deepStrictEqual(decodeValue(encodeValue(v)), expected(v));
      }),
      { numRuns: 300 },
    );
  });
});

/** What the codec is documented to give back: -0 as 0, a "__proto__" key renamed "__proto_". */
function expected(v: unknown): unknown {
  if (Object.is(v, -0)) return 0;
  if (v === null || typeof v !== 'object' || Buffer.isBuffer(v) || v instanceof Date) return v;
  if (Array.isArray(v)) return v.map(expected);
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(v)) {
    Object.defineProperty(out, key === '__proto__' ? '__proto_' : key, {
      value: expected((v as Record<string, unknown>)[key]),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}
