import assert from 'node:assert/strict';
import {
  decodeValue,
  EncodeError,
  encodeValue,
  errorClassOf,
  errorFromWire,
  errorToWire,
  OnelinkError,
  ProtocolError,
  registerErrorClass,
} from '../../../protocol/index.js';

const roundTrip = (err: unknown): Error => errorFromWire(decodeValue(encodeValue(errorToWire(err))));

describe('protocol: errors rebuilt from the wire', () => {
  it('rebuilds a ProtocolError and an EncodeError as their class, with code, message, name and stack', () => {
    for (const original of [new ProtocolError('ERR_ONELINK_PROTOCOL_BODY', 'bad body'), new EncodeError('cannot encode')]) {
      const copy = roundTrip(original) as OnelinkError;
      assert.equal(copy instanceof original.constructor, true, original.name);
      assert.equal(copy instanceof OnelinkError, true);
      assert.equal(copy instanceof Error, true);
      assert.equal(copy.name, original.name);
      assert.equal(copy.message, original.message);
      assert.equal(copy.code, original.code);
      assert.equal(copy.stack, original.stack);
    }
  });

  it('rebuilds a real Error object (as util.types.isNativeError sees it), without running the constructor', async () => {
    const { types } = await import('node:util');
    const copy = roundTrip(new ProtocolError('ERR_ONELINK_PROTOCOL_ID', 'id'));
    assert.equal(types.isNativeError(copy), true);
    assert.equal(Object.prototype.toString.call(copy), '[object Error]');
  });

  it('keeps an error with an unknown code a plain Error carrying its fields', () => {
    const copy = roundTrip(Object.assign(new TypeError('upstream'), { code: 'ECONNRESET', errno: -104 })) as Error & Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(copy), Error.prototype);
    assert.equal(copy.name, 'TypeError');
    assert.equal(copy.code, 'ECONNRESET');
    assert.equal(copy.errno, -104);
  });

  it('never copies __proto__, constructor or prototype keys of a reply onto the error or any prototype', () => {
    const wire = JSON.parse('{"message":"m","code":"ERR_ONELINK_ENCODE","__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},"prototype":{"polluted":true}}');
    const copy = errorFromWire(wire);
    assert.equal(copy instanceof EncodeError, true);
    assert.equal(Object.getPrototypeOf(copy), EncodeError.prototype);
    assert.equal(copy.constructor, EncodeError);
    assert.equal(Object.hasOwn(copy, '__proto__') || Object.hasOwn(copy, 'constructor') || Object.hasOwn(copy, 'prototype'), false);
    assert.equal('polluted' in {}, false);
    assert.equal('polluted' in EncodeError.prototype, false);
    // msgpack keys too (msgpackr renames "__proto__" on decode; "constructor" it keeps).
    const decoded = errorFromWire(decodeValue(encodeValue({ message: 'm', constructor: { name: 'x' } })));
    assert.equal(decoded.constructor, Error);
  });

  it('turns a malformed body into an Error, never throwing', () => {
    const bodies: unknown[] = [
      undefined, null, 42, 'text', [1, 2], Buffer.from('xy'), {},
      { message: { toString: 'not a function' } }, { message: 7, name: 8, stack: 9, code: 10 },
      { code: { toString: 'x' } }, { code: '__proto__' }, { code: 'constructor' }, { code: 'hasOwnProperty' },
    ];
    for (const body of bodies) {
      const err = errorFromWire(body);
      assert.equal(err instanceof Error, true, String(body));
      assert.equal(Object.getPrototypeOf(err), Error.prototype, JSON.stringify(body));
      assert.equal(typeof err.message, 'string');
      assert.equal(typeof err.name, 'string');
    }
    assert.match(errorFromWire(42).message, /malformed error reply: 42/);
  });

  it('refuses a second class for a code already registered, accepts the same one again', () => {
    class Other extends OnelinkError {}
    assert.throws(() => registerErrorClass('ERR_ONELINK_ENCODE', Other), /already registered to EncodeError/);
    registerErrorClass('ERR_ONELINK_ENCODE', EncodeError);
    assert.equal(errorClassOf('ERR_ONELINK_ENCODE'), EncodeError);
    assert.equal(errorClassOf('ERR_ONELINK_PROTOCOL_HANDSHAKE'), ProtocolError);
  });
});
