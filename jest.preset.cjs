/**
 * Shared Jest settings. `@invincible/source` resolves workspace libs to their TypeScript source,
 * so tests never depend on a stale build; @swc/jest strips types (type checking is `typecheck`).
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  testEnvironmentOptions: {
    customExportConditions: ['@invincible/source', 'node', 'require', 'default'],
  },
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
        sourceMaps: 'inline',
      },
    ],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  // Integration suites talk to real servers; one file at a time per project keeps a 2-core
  // machine responsive while Cassandra and Temporal run beside the tests.
  maxWorkers: 1,
  reporters: [
    'default',
    require('node:path').join(__dirname, 'tools', 'jest', 'summary-reporter.cjs'),
  ],
  testTimeout: 30_000,
};
