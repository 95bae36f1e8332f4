// Runs the suite under c8 and prints the `N passed, N failed, N skipped` line last,
// after c8's coverage report, because CI reads the closing line.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const summaryFile = join(process.cwd(), 'coverage', '.summary');
rmSync(summaryFile, { force: true });

// The spec is given here, not in .mocharc.json, so that `npx mocha test/some.test.ts` runs that file alone.
const specs = process.argv.length > 2 ? process.argv.slice(2) : ['test/**/*.test.ts'];
const args = ['c8', 'mocha', ...specs];
const run = spawnSync('npx', args, {
  stdio: 'inherit',
  env: { ...process.env, ONELINK_SUMMARY_FILE: summaryFile },
});

let summary = '';
try {
  summary = readFileSync(summaryFile, 'utf8').trim();
} catch {
  // mocha died before the end of the run: the exit code below says so.
}
if (summary) console.log(summary);
process.exit(run.status ?? 1);
