/**
 * Shared Jest settings of the `test` target: unit tests, no server (`*.int.test.ts` and
 * `*.e2e.test.ts` are the `int-test` and `e2e` targets', jest.int-preset.cjs). `@invincible/source` resolves workspace libs to their TypeScript source,
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
  testPathIgnorePatterns: ['/node_modules/', '\\.int\\.test\\.ts$', '\\.e2e\\.test\\.ts$'],
  // One file at a time per project: Nx runs two projects at once, beside Cassandra and Temporal
  // on a 2-core machine.
  maxWorkers: 1,
  reporters: [
    'default',
    [
      require('node:path').join(__dirname, 'tools', 'jest', 'summary-reporter.cjs'),
      { target: 'test' },
    ],
  ],
  testTimeout: 30_000,
};
