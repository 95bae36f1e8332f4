// Runs every benchmark scenario once, tiny, for every implementation, so that the scripts do not rot.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMOKE_RUN } from '../../benchmark/config.js';
import { IMPLEMENTATION_NAMES } from '../../benchmark/impl/implementation.js';
import { metricDefinitions } from '../../benchmark/metrics.js';
import { machineInfo, writeResults } from '../../benchmark/report.js';
import { runSuite, type RepetitionResult } from '../../benchmark/suite.js';

describe('benchmark smoke run (every scenario once, tiny)', function () {
  // A bound, not a speed target: on a loaded machine starting 3 × 4 worker processes takes a while.
  this.timeout(180_000);

  let results: RepetitionResult[];
  const progress: string[] = [];
  const outputDir = mkdtempSync(join(tmpdir(), 'onelink-bench-'));

  before(async () => {
    results = await runSuite({ config: SMOKE_RUN, progress: (line) => progress.push(line) });
  });

  after(() => rmSync(outputDir, { recursive: true, force: true }));

  it('measures every metric for every implementation; failover is n/a only without an election', () => {
    assert.deepEqual(results.map((result) => result.implementation).sort(), [...IMPLEMENTATION_NAMES].sort());
    for (const result of results) {
      for (const metric of metricDefinitions(SMOKE_RUN)) {
        const value = result.metrics[metric.key];
        if (result.implementation === 'raw' && metric.key.startsWith('failover.')) {
          assert.equal(value, null, `${result.implementation} ${metric.key}`);
        } else {
          assert.ok(typeof value === 'number' && Number.isFinite(value) && value >= 0, `${result.implementation} ${metric.key} = ${value}`);
        }
      }
      assert.ok((result.metrics['sequential.callsPerSec'] ?? 0) > 0);
      assert.ok((result.metrics['throughput.callsPerSec'] ?? 0) > 0);
      assert.ok((result.metrics['memory.followerRssMiB'] ?? 0) > 10, 'RSS is reported in MiB');
    }
  });

  it('delivers every fan-out event exactly once and in order with onelink', () => {
    const onelink = results.find((result) => result.implementation === 'onelink');
    assert.ok(onelink);
    assert.equal(onelink.metrics['fanout.lost'], 0);
    assert.equal(onelink.metrics['fanout.reordered'], 0);
    assert.equal(onelink.metrics['fanout.duplicated'], 0);
  });

  it('sees every follower served by a new leader after the kill, per follower', () => {
    for (const result of results.filter((r) => r.implementation !== 'raw')) {
      const perFollower = result.details.failover as { servedAgainMs: number | null; newLeaderPid: number | null }[];
      assert.equal(perFollower.length, SMOKE_RUN.failover.followers);
      for (const follower of perFollower) {
        assert.ok(follower.servedAgainMs !== null && follower.servedAgainMs > 0, `${result.implementation}: ${JSON.stringify(follower)}`);
      }
      assert.equal(new Set(perFollower.map((follower) => follower.newLeaderPid)).size, 1, `${result.implementation}: one new leader for all`);
    }
    const onelink = results.find((result) => result.implementation === 'onelink');
    assert.equal(onelink?.metrics['failover.failedCalls'], 0, 'idempotent calls are re-sent, not failed');
  });

  it('prints a progress line per scenario and implementation', () => {
    for (const name of IMPLEMENTATION_NAMES) {
      for (const scenario of ['sequential:', 'payload:', 'throughput:', 'fan-out:', 'failover:']) {
        assert.ok(progress.some((line) => line.includes(name) && line.includes(scenario)), `${name} ${scenario}`);
      }
    }
  });

  it('writes the JSON results and RESULTS.md with machine, Node version and date', () => {
    const machine = machineInfo();
    const { jsonPath, markdownPath } = writeResults(outputDir, SMOKE_RUN, results, machine, true);
    assert.ok(existsSync(jsonPath));
    const json = JSON.parse(readFileSync(jsonPath, 'utf8'));
    assert.equal(json.repetitions.length, results.length);
    assert.equal(json.machine.node, process.version);
    assert.ok(markdownPath);
    const markdown = readFileSync(markdownPath, 'utf8');
    assert.ok(markdown.includes(process.version));
    assert.ok(markdown.includes(machine.date));
    assert.ok(markdown.includes('| metric | onelink | cluster-client | raw | onelink / cluster-client | onelink / raw |'));
    for (const metric of metricDefinitions(SMOKE_RUN)) assert.ok(markdown.includes(metric.label), metric.label);
  });
});
