// A real install without the optional peers: a copy of lib/ and protocol/ next to a node_modules that has
// everything but ioredis and memjs.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

describe('optional peer dependencies', function () {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'onelink-no-peers-'));
    for (const part of ['lib', 'protocol']) cpSync(join(root, part), join(dir, part), { recursive: true });
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(join(root, 'node_modules'))) {
      if (entry === 'ioredis' || entry === 'memjs' || entry.startsWith('.')) continue;
      symlinkSync(join(root, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(join(dir, 'probe.ts'), `
      import { MemoryStore, MemcachedStore, RedisStore } from './lib/stores/index.js';
      const report: Record<string, unknown> = {};
      for (const [name, create] of [['redis', () => new RedisStore()], ['memcached', () => new MemcachedStore()]] as const) {
        try { create(); report[name] = 'constructed'; } catch (e) { const { code, message, packageName } = e as Record<string, unknown>; report[name] = { code, message, packageName }; }
      }
      const memory = new MemoryStore({ handoff: false });
      await memory.set('sid', { ok: true });
      report.memory = await memory.get('sid');
      await memory.close();
      console.log(JSON.stringify(report));
    `);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('imports onelink/stores without ioredis and memjs, and names the missing package when a store needs it', async function () {
    this.timeout(20_000);
    const stdout = await new Promise<string>((resolvePromise, reject) => {
      execFile(process.execPath, ['--import', 'tsx', 'probe.ts'], { cwd: dir, timeout: 15_000 }, (error, out, err) => {
        if (error) reject(new Error(`${error.message}\n${err}`));
        else resolvePromise(out);
      });
    });
    const report = JSON.parse(stdout.trim().split('\n').pop()!);
    assert.deepEqual(report.memory, { ok: true });
    assert.equal(report.redis.code, 'ERR_ONELINK_MISSING_PEER');
    assert.equal(report.redis.packageName, 'ioredis');
    assert.match(report.redis.message, /npm install ioredis/);
    assert.equal(report.memcached.code, 'ERR_ONELINK_MISSING_PEER');
    assert.equal(report.memcached.packageName, 'memjs');
  });
});
