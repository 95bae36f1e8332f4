// One line per peer and reason per interval, and the count of what was suppressed.
import assert from 'node:assert/strict';
import { RateLimitedLog } from '../../../lib/rate-limited-log.js';

function recorder() {
  const lines: string[] = [];
  const logger = { info() {}, error() {}, warn: (message: string) => lines.push(message) };
  return { lines, logger };
}

describe('RateLimitedLog', () => {
  it('logs the first warning of a peer and reason, suppresses the rest of the interval, then counts them', () => {
    let now = 1000;
    const { lines, logger } = recorder();
    const log = new RateLimitedLog(logger, 10_000, () => now);
    for (let i = 0; i < 500; i++) log.warn('peer-a', 'garbage', `garbage ${i}`);
    assert.deepEqual(lines, ['garbage 0']);
    now += 10_000;
    log.warn('peer-a', 'garbage', 'garbage again');
    assert.deepEqual(lines, ['garbage 0', 'garbage again (499 more like it suppressed)']);
  });

  it('keeps peers and reasons apart', () => {
    const { lines, logger } = recorder();
    const log = new RateLimitedLog(logger, 10_000, () => 0);
    log.warn('a', 'garbage', 'a garbage');
    log.warn('b', 'garbage', 'b garbage');
    log.warn('a', 'timeout', 'a timeout');
    log.warn('a', 'garbage', 'a garbage twice');
    assert.deepEqual(lines, ['a garbage', 'b garbage', 'a timeout']);
  });

  it('forgets peers that went quiet, reporting what they had suppressed, so that it holds no memory per past peer', () => {
    let now = 0;
    const { lines, logger } = recorder();
    const log = new RateLimitedLog(logger, 10_000, () => now);
    for (let i = 0; i < 1000; i++) {
      log.warn(`peer-${i}`, 'garbage', `peer-${i}`);
      log.warn(`peer-${i}`, 'garbage', `peer-${i}`);
    }
    assert.equal(log.size, 1000);
    now = 20_000;
    log.warn('late', 'garbage', 'late');
    assert.equal(log.size, 1);
    assert.equal(lines.filter((line) => /1 more warnings "garbage" about peer-\d+ were suppressed/.test(line)).length, 1000);
  });
});
