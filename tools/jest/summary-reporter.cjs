// Records each Jest run's counts in dist/test-results/<project>/<target>.json, so `npm test` can
// close with one line over every project: "tests: N passed, N failed, N skipped". The file is an
// output of the `test`, `int-test` and `e2e` targets: a cache hit restores it, and the line still
// counts the tests that run did not have to repeat. The target comes from the reporter's options.
const { mkdirSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const RESULTS = join(__dirname, '..', '..', 'dist', 'test-results');

class SummaryReporter {
  constructor(globalConfig, options = {}) {
    this.target = options.target ?? 'test';
  }

  onRunComplete(contexts, results) {
    const [context] = contexts;
    const displayName = context?.config.displayName;
    const project = typeof displayName === 'object' ? displayName.name : displayName;
    if (!project) return;
    mkdirSync(join(RESULTS, project), { recursive: true });
    writeFileSync(
      join(RESULTS, project, `${this.target}.json`),
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
