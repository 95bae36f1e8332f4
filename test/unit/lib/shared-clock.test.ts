import assert from 'node:assert/strict';
import { deadlineFromNow, isPastDeadline } from '../../../lib/shared-clock.js';

describe('deadlines on the shared monotonic clock', () => {
  it('tells a future deadline from a past one, and never writes 0 (no deadline)', () => {
    assert.equal(isPastDeadline(deadlineFromNow(60000)), false);
    assert.equal(isPastDeadline(deadlineFromNow(-1)), true);
    assert.equal(isPastDeadline(0), false);
    assert.notEqual(deadlineFromNow(0), 0);
  });

  it('survives the 32-bit wrap of the header field', () => {
    const soon = deadlineFromNow(0);
    // A deadline one minute ahead stays ahead even when its 32-bit value is numerically smaller.
    assert.equal(isPastDeadline((soon + 60000) >>> 0), false);
    assert.equal(isPastDeadline((soon - 60000) >>> 0), true);
  });
});
