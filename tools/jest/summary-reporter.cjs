// Records each Jest run's counts in INVINCIBLE_TEST_SUMMARY_DIR so `npm test` can close with one
// line over every project: "tests: N passed, N failed, N skipped". Does nothing when unset.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

class SummaryReporter {
  onRunComplete(_contexts, results) {
    const dir = process.env.INVINCIBLE_TEST_SUMMARY_DIR;
    if (!dir) return;
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, `${process.pid}-${Date.now()}.json`),
      JSON.stringify({
        passed: results.numPassedTests,
        failed: results.numFailedTests,
        skipped: results.numPendingTests + results.numTodoTests,
        // A suite that could not run (a syntax error, a failing beforeAll) counts as a failure.
        brokenSuites: results.numRuntimeErrorTestSuites,
      }),
    );
  }
}

module.exports = SummaryReporter;
