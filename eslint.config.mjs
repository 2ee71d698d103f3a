// One flat config for the workspace; each project's eslint.config.mjs re-exports it so that
// @nx/eslint/plugin infers a `lint` target per project.
import { builtinModules } from 'node:module';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** Imports that must never reach workflow code (Temporal's sandbox is deterministic, no I/O). */
const notInWorkflows = [
  ...builtinModules.flatMap((m) => [m, `node:${m}`]),
  '@temporalio/worker',
  '@temporalio/client',
  '@temporalio/activity',
  '@temporalio/testing',
  '@datastax/astra-db-ts',
  'cassandra-driver',
  'express',
  '@invincible/astra-repo',
].map((name) => ({
  name,
  message: 'Workflow code runs in the Temporal sandbox: do I/O in an activity.',
}));

const TEST_FILES = ['**/*.test.{ts,tsx}', '**/testing/**/*.{ts,tsx}', '**/src/testing.ts'];
/** TypeScript sources; `.tsx` is the console's (React). */
const TS_FILES = ['**/*.ts', '**/*.tsx'];

/**
 * Module boundaries; `sandboxed` (production code) limits workflow code to the packages the
 * sandbox allows, and the API to the contracts and the repository.
 */
function boundaries(sandboxed) {
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      depConstraints: [
        // Layers: apps and tools use libs; libs never use apps or tools.
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:lib'] },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: ['type:lib'] },
        // End-to-end suites are clients of the running stack: HTTP only, no workspace code.
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: [] },
        { sourceTag: 'type:lib', onlyDependOnLibsWithTags: ['type:lib'] },
        // Workflows: the Temporal sandbox. Activities only as types (no-restricted-imports below).
        {
          sourceTag: 'scope:workflows',
          onlyDependOnLibsWithTags: ['scope:activities', 'scope:shared'],
          ...(sandboxed
            ? {
                allowedExternalImports: [
                  '@temporalio/workflow',
                  '@temporalio/common',
                  // Trace context only (no I/O): the tracing interceptors' context in the sandbox.
                  '@opentelemetry/api',
                  // Their workflow side (src/tracing/interceptors.ts): sandbox code, no I/O.
                  '@temporalio/interceptors-opentelemetry/lib/workflow',
                ],
              }
            : {}),
        },
        {
          sourceTag: 'scope:activities',
          onlyDependOnLibsWithTags: ['scope:repo', 'scope:workflows', 'scope:shared'],
        },
        {
          sourceTag: 'scope:repo',
          onlyDependOnLibsWithTags: ['scope:shared'],
          bannedExternalImports: ['@temporalio/*', 'express'],
        },
        // Pure values every layer shares (money, ISO 4217): no I/O, no Temporal, no dependencies.
        {
          sourceTag: 'scope:shared',
          onlyDependOnLibsWithTags: [],
        },
        // How processes reach Temporal (connection, later codecs and telemetry): apps only.
        {
          sourceTag: 'scope:runtime',
          onlyDependOnLibsWithTags: ['scope:shared'],
        },
        // The API starts and queries workflows; its tests also run the real workers' activities.
        {
          sourceTag: 'scope:api',
          onlyDependOnLibsWithTags: sandboxed
            ? ['scope:workflows', 'scope:repo', 'scope:runtime', 'scope:shared']
            : [
                'scope:workflows',
                'scope:repo',
                'scope:activities',
                'scope:runtime',
                'scope:shared',
              ],
        },
        // The console runs in a browser and talks HTTP: of the workspace, pure shared values only.
        { sourceTag: 'scope:console', onlyDependOnLibsWithTags: ['scope:shared'] },
        {
          sourceTag: 'scope:billing',
          onlyDependOnLibsWithTags: [
            'scope:workflows',
            'scope:activities',
            'scope:repo',
            'scope:runtime',
            'scope:shared',
          ],
        },
        {
          sourceTag: 'scope:loyalty',
          onlyDependOnLibsWithTags: [
            'scope:workflows',
            'scope:activities',
            'scope:repo',
            'scope:runtime',
            'scope:shared',
          ],
        },
      ],
    },
  ];
}

/**
 * The workspace's flat config. `sandboxFiles` are the workflow sources, relative to the config
 * that is loaded: ESLint resolves `files` patterns against the directory of that config, and
 * `nx lint` runs in each project's directory with the project's eslint.config.mjs.
 */
export function createConfig({ sandboxFiles = ['libs/workflows/src/**/*.ts'] } = {}) {
  return tseslint.config(
    {
      ignores: [
        '**/dist',
        '**/out-tsc',
        '**/coverage',
        '**/node_modules',
        '.nx',
        '.stack',
        'tmp',
        '**/*.cjs',
        '**/eslint.config.mjs',
      ],
    },
    ...nx.configs['flat/base'],
    ...nx.configs['flat/typescript'],
    {
      files: TS_FILES,
      extends: [tseslint.configs.recommendedTypeChecked],
      languageOptions: {
        parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      },
      rules: {
        '@typescript-eslint/no-floating-promises': 'error',
        '@typescript-eslint/no-misused-promises': [
          'error',
          { checksVoidReturn: { arguments: false } },
        ],
        '@typescript-eslint/consistent-type-imports': [
          'error',
          { fixStyle: 'inline-type-imports' },
        ],
        '@typescript-eslint/no-explicit-any': 'error',
        '@typescript-eslint/switch-exhaustiveness-check': 'error',
        '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      },
    },
    // Production code: the sandbox allowlist applies. Tests of the workflows lib may also use the
    // worker, client and testing packages to run workflows against a real test server.
    {
      files: TS_FILES,
      ignores: TEST_FILES,
      rules: { '@nx/enforce-module-boundaries': boundaries(true) },
    },
    { files: TEST_FILES, rules: { '@nx/enforce-module-boundaries': boundaries(false) } },
    {
      files: sandboxFiles,
      ignores: TEST_FILES,
      rules: {
        '@typescript-eslint/no-restricted-imports': [
          'error',
          {
            paths: [
              ...notInWorkflows,
              {
                name: '@invincible/activities',
                message: 'Workflows import activities as types only (proxyActivities).',
                allowTypeImports: true,
              },
            ],
            patterns: [
              { group: ['node:*'], message: 'No Node built-ins in workflow code.' },
              {
                group: ['@invincible/activities/*'],
                allowTypeImports: true,
                message: 'Types only.',
              },
            ],
          },
        ],
        'no-restricted-properties': [
          'error',
          {
            object: 'Math',
            property: 'random',
            message: 'Use a business key, or uuid4() from @temporalio/workflow.',
          },
        ],
        'no-restricted-globals': [
          'error',
          { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
          { name: 'setInterval', message: 'Use a loop with sleep() from @temporalio/workflow.' },
          {
            name: 'process',
            message: 'Workflows get their settings as input, never from the environment.',
          },
        ],
      },
    },
    prettier,
  );
}

/** Used from the repository root (editors, `npx eslint <file>`). */
export default createConfig();
