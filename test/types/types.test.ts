// The type checks of api.types.ts run with `npm run typecheck`. This shows they can fail: a copy of
// deliberately wrong uses is type-checked together with them, and tsc must report exactly its errors.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = join(here, '..', '..');
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

/** `fails: TSxxxx` markers of the wrong copy: the line each error must be reported on, and its code. */
function expectedErrors(source: string): string[] {
  const expected: string[] = [];
  source.split('\n').forEach((line, index) => {
    const match = /fails: (TS\d+)/.exec(line);
    if (match) expected.push(`${index + 1}:${match[1]}`);
  });
  return expected;
}

describe('type checks of the API', function () {
  this.timeout(60000);
  // A dot-directory inside the project: the project's tsconfig does not see it, node_modules types resolve.
  const tmp = join(here, `.tmp-${process.pid}`);
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('tsc reports exactly the deliberate errors of the wrong copy, and none in api.types.ts', () => {
    mkdirSync(tmp, { recursive: true });
    const wrong = join(tmp, 'wrong-calls.ts');
    copyFileSync(join(here, 'fixtures', 'wrong-calls.ts.txt'), wrong);
    writeFileSync(join(tmp, 'tsconfig.json'), JSON.stringify({
      extends: '../../../tsconfig.json',
      compilerOptions: { noEmit: true, types: ['node'] },
      include: ['../api.types.ts', 'wrong-calls.ts'],
    }));

    const run = spawnSync(process.execPath, [tsc, '-p', join(tmp, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8', timeout: 50000 });
    const output = `${run.stdout}${run.stderr}`;
    assert.notEqual(run.status, 0, `tsc passed on the wrong copy:\n${output}`);

    const reported = [...output.matchAll(/^(.*?)\((\d+),\d+\): error (TS\d+)/gm)];
    const elsewhere = reported.filter((m) => !m[1].endsWith('wrong-calls.ts'));
    assert.deepEqual(elsewhere.map((m) => m[0]), [], 'api.types.ts type-checks');
    const expected = expectedErrors(readFileSync(wrong, 'utf8'));
    assert.ok(expected.length >= 5);
    assert.deepEqual(reported.map((m) => `${m[2]}:${m[3]}`), expected, output);
  });
});
