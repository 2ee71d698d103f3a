const { join } = require('node:path');
const preset = require('./jest.preset.cjs');

/**
 * Jest settings of the `int-test` and `e2e` targets: the suites that need real servers. The
 * servers are Nx continuous tasks (tools:cassandra, tools:temporal, …) the target depends on;
 * Nx does not wait for them, so the global setup does, for those a project names in
 * `globals.testServers`, and sets the variables the suites read. `target` names the file the
 * summary reporter writes (dist/test-results/<project>/<target>.json).
 * @param {{ target: 'int-test' | 'e2e', testServers: string[] }} options
 * @returns {import('jest').Config}
 */
module.exports = function serverTestPreset({ target, testServers }) {
  return {
    ...preset,
    testMatch: [
      target === 'e2e' ? '<rootDir>/src/**/*.e2e.test.ts' : '<rootDir>/src/**/*.int.test.ts',
    ],
    testPathIgnorePatterns: ['/node_modules/'],
    globalSetup: join(__dirname, 'tools', 'src', 'test-servers', 'jest-global-setup.ts'),
    globals: { testServers },
    reporters: ['default', [join(__dirname, 'tools', 'jest', 'summary-reporter.cjs'), { target }]],
  };
};
