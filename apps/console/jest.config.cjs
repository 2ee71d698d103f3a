const preset = require('../../jest.preset.cjs');

// The viewer's time zone in the tests (pages show instants in it), whatever the machine's.
process.env.TZ = 'UTC';

const swc = (syntax) => [
  '@swc/jest',
  {
    jsc: {
      parser: syntax === 'tsx' ? { syntax: 'typescript', tsx: true } : { syntax: 'typescript' },
      transform: { react: { runtime: 'automatic' } },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

/** @type {import('jest').Config} */
module.exports = {
  ...preset,
  displayName: 'console',
  rootDir: __dirname,
  // Components run in jsdom (with Node's fetch classes); the generator's test asks for `node`.
  testEnvironment: '<rootDir>/jest.environment.cjs',
  testEnvironmentOptions: {
    customExportConditions: ['@invincible/source', 'browser', 'require', 'default'],
  },
  transform: { '^.+\\.tsx$': swc('tsx'), '^.+\\.ts$': swc('ts') },
  moduleFileExtensions: ['tsx', 'ts', 'js', 'json'],
  testMatch: ['<rootDir>/src/**/*.test.{ts,tsx}', '<rootDir>/scripts/**/*.test.ts'],
};
