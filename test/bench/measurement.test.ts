// The pieces the benchmark's numbers rest on: percentiles, medians, the baseline's framing.
import assert from 'node:assert/strict';
import { LatencyHistogram } from '../../benchmark/latency-histogram.js';
import { encodeFrame, FrameReader } from '../../benchmark/impl/raw-protocol.js';
import { summarize } from '../../benchmark/report.js';

describe('benchmark measurement', () => {
  it('computes nearest-rank percentiles at 1 µs resolution, including latencies beyond the buckets', () => {
    const histogram = new LatencyHistogram();
    for (let us = 1; us <= 100; us += 1) histogram.record(us - 0.5);
    histogram.record(2_500_000);
    assert.equal(histogram.count, 101);
    assert.equal(histogram.percentile(0.5), 51); // the 51st of 101 is 50.5 µs, in the bucket [50, 51)
    assert.equal(histogram.percentile(0.99), 100);
    assert.equal(histogram.percentile(1), 2_500_000);
    assert.equal(histogram.maxUs, 2_500_000);
  });

  it('merges histograms from several processes exactly, through their JSON form', () => {
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    for (let i = 0; i < 90; i += 1) a.record(10.2);
    for (let i = 0; i < 10; i += 1) b.record(300.7);
    const merged = LatencyHistogram.from(JSON.parse(JSON.stringify(a))).merge(LatencyHistogram.from(JSON.parse(JSON.stringify(b))));
    assert.equal(merged.count, 100);
    assert.equal(merged.percentile(0.9), 11);
    assert.equal(merged.percentile(0.91), 300.7);
    assert.equal(merged.maxUs, 300.7);
  });

  it('summarises repetitions as median, min and max', () => {
    assert.deepEqual(summarize([30, 10, 20]), { median: 20, min: 10, max: 30 });
    assert.deepEqual(summarize([4, 1]), { median: 2.5, min: 1, max: 4 });
    assert.equal(summarize([]), null);
  });

  it('reassembles raw frames split at any byte, with JSON and Buffer payloads', () => {
    const attachment = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
    const stream = Buffer.concat([
      ...encodeFrame({ id: 1 }, 'result', { text: 'héllo', n: 1 }),
      ...encodeFrame({ id: 2 }, 'result', attachment),
      ...encodeFrame({ topic: 't', event: undefined }, 'event', { seq: 3 }),
    ]);
    for (const chunkSize of [1, 7, 64, stream.length]) {
      const frames: [unknown, Buffer | undefined][] = [];
      const reader = new FrameReader((message, payload) => frames.push([message, payload]));
      for (let offset = 0; offset < stream.length; offset += chunkSize) reader.push(stream.subarray(offset, offset + chunkSize));
      assert.deepEqual(frames[0], [{ id: 1, result: { text: 'héllo', n: 1 } }, undefined], `chunk ${chunkSize}`);
      assert.deepEqual(frames[1][0], { id: 2 });
      assert.ok(frames[1][1]?.equals(attachment));
      assert.deepEqual(frames[2], [{ topic: 't', event: { seq: 3 } }, undefined]);
    }
  });
});
