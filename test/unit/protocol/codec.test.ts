import assert from 'node:assert/strict';
import { ProtocolError, decodeValue, defaultTranscode, encodeValue, encodeValueTransient } from '../../../protocol/index.js';
import { assertProtocolError } from './helpers.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

describe('protocol: codec (msgpackr)', () => {
  it('round-trips nested objects and arrays', () => {
    const value = { a: [1, [2, [3, { b: 'c' }]]], d: { e: { f: { g: [] } } }, h: {}, t: true, n: null };
    assert.deepEqual(roundTrip(value), value);
  });

  it('round-trips Buffers holding all 256 byte values, decoded as Buffer (not a bare Uint8Array)', () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const decoded = roundTrip({ bin: all, empty: Buffer.alloc(0), list: [all] }) as Record<string, unknown>;
    assert.ok(Buffer.isBuffer(decoded.bin));
    assert.deepEqual(decoded.bin, all);
    assert.ok(Buffer.isBuffer(decoded.empty));
    assert.equal((decoded.empty as Buffer).length, 0);
    assert.ok(Buffer.isBuffer((decoded.list as unknown[])[0]));
    const big = Buffer.alloc(200_000, 7);
    assert.deepEqual(roundTrip(big), big);
  });

  it('decodes a Uint8Array as a Buffer too', () => {
    const decoded = roundTrip(new Uint8Array([1, 2, 3]));
    assert.ok(Buffer.isBuffer(decoded));
    assert.deepEqual(decoded, Buffer.from([1, 2, 3]));
  });

  it('round-trips Dates to the millisecond', () => {
    for (const ms of [0, 1, -1, 1_700_000_000_123, -62_135_596_800_001, 8.64e15, -8.64e15, 2 ** 32 * 1000 + 999]) {
      const decoded = roundTrip(new Date(ms));
      assert.ok(decoded instanceof Date);
      assert.equal(decoded.getTime(), ms);
    }
    assert.ok(Number.isNaN((roundTrip(new Date(NaN)) as Date).getTime()), 'an invalid Date stays invalid');
  });

  it('round-trips unicode strings, astral characters included', () => {
    for (const s of ['', 'plain', 'é à ü ß', '日本語', '😀 𝄞 🏳️‍🌈', '\u0000\uffff', 'x'.repeat(70_000)]) {
      assert.equal(roundTrip(s), s);
    }
    assert.match(roundTrip('a\ud83db') as string, /^a\ufffd+b$/, 'a lone surrogate (invalid unicode) becomes U+FFFD (documented)');
  });

  it('round-trips big and negative numbers and bigints', () => {
    const numbers = [0, 1, -1, 127, 128, -32, -33, 255, 256, 65535, 65536, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32) - 1,
      Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 2 ** 60, -(2 ** 70), Number.MAX_VALUE, Number.MIN_VALUE, -1.5, 0.1, 1e-300,
      Infinity, -Infinity];
    for (const n of numbers) assert.equal(roundTrip(n), n);
    assert.ok(Number.isNaN(roundTrip(NaN)));
    assert.equal(roundTrip(-0), 0, '-0 comes back as 0 (documented)');
    for (const b of [0n, -5n, 2n ** 63n - 1n, -(2n ** 63n), 2n ** 64n - 1n]) assert.equal(roundTrip(b), b);
  });

  it('keeps undefined in arrays, as object values and at the top level; null stays null', () => {
    assert.deepEqual(roundTrip([1, undefined, null, undefined]), [1, undefined, null, undefined]);
    const decoded = roundTrip({ a: undefined, b: null }) as Record<string, unknown>;
    assert.ok('a' in decoded, 'a key with value undefined is kept');
    assert.equal(decoded.a, undefined);
    assert.equal(decoded.b, null);
    assert.equal(roundTrip(undefined), undefined);
    assert.equal(roundTrip(null), null);
  });

  it('turns a Map into a plain object, a Set into an array, a class instance into a plain object (documented)', () => {
    assert.deepEqual(roundTrip(new Map<unknown, unknown>([['k', 1], [2, 'two']])), { k: 1, 2: 'two' });
    assert.deepEqual(roundTrip(new Set([1, 'a'])), [1, 'a']);
    class Point {
      constructor(readonly x: number, readonly y: number) {}
      norm() {
        return Math.hypot(this.x, this.y);
      }
    }
    const decoded = roundTrip(new Point(3, 4));
    assert.deepEqual(decoded, { x: 3, y: 4 });
    assert.equal(Object.getPrototypeOf(decoded), Object.prototype);
  });

  it('returns a Buffer that later encodes never overwrite and that does not pin msgpackr\'s working buffer', () => {
    const first = encodeValue({ hello: 'world', n: 1 });
    const copy = Buffer.from(first);
    const others: Buffer[] = [];
    for (let i = 0; i < 2000; i++) others.push(encodeValue({ i, s: 'x'.repeat(i % 50) }));
    others.push(encodeValue(Buffer.alloc(1024 * 1024, 9)));
    for (let i = 0; i < 100; i++) others.push(encodeValue([i]));
    assert.deepEqual(first, copy);
    others.forEach((b, i) => assert.deepEqual(decodeValue(b), i < 2000 ? { i, s: 'x'.repeat(i % 50) } : i === 2000 ? Buffer.alloc(1024 * 1024, 9) : [i - 2001]));
    const small = encodeValue({ after: 'a large value' });
    assert.ok(small.buffer.byteLength <= 8192, `a small result lives in a small buffer, not a ${small.buffer.byteLength}-byte one`);
  });

  it('encodes in place with encodeValueTransient: the same bytes, valid until the next encode', () => {
    const value = { hello: 'world', n: 1 };
    const transient = encodeValueTransient(value);
    assert.deepEqual(transient, encodeValue(value));
    const before = Buffer.from(transient);
    encodeValueTransient({ other: 'value that overwrites the working buffer' });
    assert.notDeepEqual(transient, before, 'the view is the working buffer, as documented');
    assert.throws(() => encodeValueTransient(() => {}), /cannot encode a function/);
  });

  it('throws a plain Error naming what cannot be encoded and where', () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ args: [1, { done() {} }] }, /^cannot encode a function \(done\) at \$\.args\[1\]\.done$/],
      [() => 1, /^cannot encode a function at \$$/],
      [{ s: Symbol('k') }, /^cannot encode a symbol \(Symbol\(k\)\) at \$\.s$/],
      [{ 'a key': 2n ** 64n }, /^cannot encode a bigint outside the 64-bit range \(18446744073709551616\) at \$\["a key"\]$/],
      [new Map([['k', Symbol('v')]]), /^cannot encode a symbol \(Symbol\(v\)\) at \$<value of "k">$/],
    ];
    const shared = { s: 1 };
    cases.push([{ a: shared, b: { again: shared }, c: [[1, 2], Symbol('z')] }, /^cannot encode a symbol \(Symbol\(z\)\) at \$\.c\[1\]$/]);
    cases.push([{ ok: [1, { b: 2 }], get broken() { throw new Error('getter boom'); } }, /^cannot encode a property whose getter throws \(getter boom\) at \$\.broken$/]);
    const cyclic: Record<string, unknown> = { list: [1] };
    (cyclic.list as unknown[]).push({ up: cyclic });
    cases.push([cyclic, /^cannot encode a cyclic object: \$\.list\[1\]\.up refers back to an object that contains it$/]);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    cases.push([deep, /^cannot encode an object nested more than 2000 levels deep/]);
    for (const [value, message] of cases) {
      assert.throws(() => encodeValue(value), (e: unknown) => {
        assert.ok(e instanceof Error);
        assert.ok(!(e instanceof ProtocolError));
        assert.match(e.message, message);
        assert.ok(e.cause !== undefined, 'keeps msgpackr\'s error as cause');
        return true;
      });
    }
    assert.deepEqual(roundTrip({ ok: 1 }), { ok: 1 }, 'still works after errors');
  });

  it('decodes an empty body as undefined', () => {
    assert.equal(decodeValue(Buffer.alloc(0)), undefined);
  });

  it('throws ProtocolError ERR_ONELINK_PROTOCOL_BODY on bytes that are not exactly one value', () => {
    const bad = [
      Buffer.from([0xc1]), // never used
      Buffer.from([0x92, 0x01]), // array of 2, one element
      Buffer.from([0x01, 0x02]), // two values
      Buffer.from([0xd9, 0x05, 0x61]), // truncated string
      Buffer.from([0xd4, 0x05, 0x00]), // unknown extension
    ];
    for (const b of bad) {
      assert.throws(() => decodeValue(b), (e: unknown) => {
        assertProtocolError(e, 'ERR_ONELINK_PROTOCOL_BODY', new RegExp(`^undecodable ${b.length}-byte body \\(.+\\); starts with ${b.toString('hex').replace(/(..)(?!$)/g, '$1 ')}$`));
        return true;
      });
    }
  });

  it('defaultTranscode is encodeValue/decodeValue', () => {
    assert.equal(defaultTranscode.encode, encodeValue);
    assert.equal(defaultTranscode.decode, decodeValue);
  });
});
