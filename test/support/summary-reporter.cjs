'use strict';
// Spec output, then one plain `N passed, N failed, N skipped` line that CI reads.
// The line is also written to a file so that the runner can print it last, after c8's report.
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const line = `${passes} passed, ${failures} failed, ${pending} skipped`;
      const file = process.env.ONELINK_SUMMARY_FILE;
      if (file) {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, line + '\n');
      } else {
        console.log(line);
      }
    });
  }
}

module.exports = SummaryReporter;
