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
 * Module boundaries between projects, in two dimensions (tags in each package.json's "nx" block):
 * `type:` (what a project is: app, tool, e2e, workflows, activities, data, util) and `domain:`
 * (billing, loyalty, or shared: owned by no one domain). workflows and activities hold both
 * domains side by side (src/billing, src/loyalty) and carry both domain tags; inside them the
 * domains are kept apart per file by `domainBoundaries` below. `sandboxed` (production code)
 * limits workflow code to the packages the sandbox allows, and the API to contracts and data.
 */
function boundaries(sandboxed) {
  const libs = ['type:workflows', 'type:activities', 'type:data', 'type:util'];
  return [
    'error',
    {
      enforceBuildableLibDependency: true,
      allow: [],
      depConstraints: [
        // Types (layers). Apps and tools use libs; nothing uses an app or a tool.
        { sourceTag: 'type:app', onlyDependOnLibsWithTags: libs },
        { sourceTag: 'type:tool', onlyDependOnLibsWithTags: libs },
        // End-to-end suites are clients of the running stack: HTTP only, no workspace code.
        { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: [] },
        // Workflows: the Temporal sandbox. Of the workspace, pure values only (money); activities
        // are known by their types, which live in the contracts.
        {
          sourceTag: 'type:workflows',
          onlyDependOnLibsWithTags: ['type:util'],
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
        // Activities implement the contracts' activity types over the data layer.
        {
          sourceTag: 'type:activities',
          onlyDependOnLibsWithTags: ['type:workflows', 'type:data', 'type:util'],
        },
        // Data knows nothing of Temporal or of workflows: never the other way round.
        {
          sourceTag: 'type:data',
          onlyDependOnLibsWithTags: ['type:util'],
          bannedExternalImports: ['@temporalio/*', 'express'],
        },
        // Utilities (money, the Temporal runtime): they depend on utilities only.
        { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util'] },
        // Domains. A domain's project uses its own domain and the shared foundation, never
        // another domain's projects (a project holding several, like workflows, carries each tag).
        ...DOMAINS.map((domain) => ({
          sourceTag: `domain:${domain}`,
          onlyDependOnLibsWithTags: [`domain:${domain}`, 'domain:shared'],
        })),
        // The shared foundation (data, utilities) never reaches into a domain. Shared apps and
        // tools are the edges that compose the domains, through their contracts.
        {
          allSourceTags: ['domain:shared', 'type:data'],
          onlyDependOnLibsWithTags: ['domain:shared'],
        },
        {
          allSourceTags: ['domain:shared', 'type:util'],
          onlyDependOnLibsWithTags: ['domain:shared'],
        },
        // The API starts and queries workflows through the contracts; activities run in the
        // workers (its tests also run the real workers' activities).
        {
          allSourceTags: ['domain:shared', 'type:app'],
          onlyDependOnLibsWithTags: sandboxed ? ['type:workflows', 'type:data', 'type:util'] : libs,
        },
        // The console runs in a browser and talks HTTP: of the workspace, browser-safe libs only.
        { sourceTag: 'platform:browser', onlyDependOnLibsWithTags: ['platform:browser'] },
      ],
    },
  ];
}

/**
 * The names `@invincible/activities` exports for one domain only (its root mixes them all). Its
 * keys are the domains: `nx g @invincible/nx-plugin:domain` adds one here and in DOMAIN_FILES.
 */
const ACTIVITIES_OF = {
  billing: [
    'createBillingActivities',
    'BillingActivityDeps',
    'renderBillingEmail',
    'createLoyaltyNotifier',
    'LoyaltyNotifier',
    'PaymentUnavailableError',
    'ChargeRequest',
    'PaymentGateway',
    'createSandboxGateway',
    'SANDBOX_PAYMENT_METHODS',
    'SandboxGatewayOptions',
    'createBillingMetrics',
    'NO_BILLING_METRICS',
    'BillingMetrics',
  ],
  loyalty: [
    'createLoyaltyActivities',
    'LoyaltyActivityDeps',
    'createLoyaltyMetrics',
    'NO_LOYALTY_METRICS',
    'LoyaltyMetrics',
  ],
};

/** Every domain: each gets its own tag's constraint and its own per-file boundary rule. */
const DOMAINS = Object.keys(ACTIVITIES_OF);

/**
 * Domain boundaries inside the projects that hold several domains, per file: code of `domain` may
 * know another domain only by its published contract (`@invincible/workflows`, whose root exports
 * the contracts, or `@invincible/workflows/<other>/contract`), never by its internals: no file
 * under an `<other>/` folder but `contract`, relative or by a package subpath, and none of the
 * other's activities. The base `no-restricted-imports` (type imports included), so that it adds
 * to the sandbox's `@typescript-eslint/no-restricted-imports` on workflow files instead of
 * replacing it.
 */
function domainBoundaries(domain) {
  const others = DOMAINS.filter((d) => d !== domain);
  return [
    'error',
    {
      paths: [
        {
          name: '@invincible/activities',
          importNames: others.flatMap((other) => ACTIVITIES_OF[other]),
          message: `${domain} code knows the other domains only by their contracts (@invincible/workflows or @invincible/workflows/<domain>/contract).`,
        },
      ],
      patterns: others.map((other) => ({
        group: [`**/${other}/**`, `!**/${other}/contract`],
        message: `${domain} code knows ${other} only by its contract (@invincible/workflows or @invincible/workflows/${other}/contract).`,
      })),
    },
  ];
}

/** Each domain's sources, relative to the loaded config (repository root or a project). */
const DOMAIN_FILES = {
  billing: ['**/src/billing/**/*.ts', 'apps/billing-worker/src/**/*.ts'],
  loyalty: ['**/src/loyalty/**/*.ts', 'apps/loyalty-worker/src/**/*.ts'],
};

/**
 * The workspace's flat config. `sandboxFiles` are the workflow sources and `domainFiles` each
 * domain's sources, relative to the config that is loaded: ESLint resolves `files` patterns
 * against the directory of that config, and `nx lint` runs in each project's directory with the
 * project's eslint.config.mjs (each worker app marks all of its sources as its domain's).
 */
export function createConfig({
  sandboxFiles = ['libs/workflows/src/**/*.ts'],
  domainFiles = {},
} = {}) {
  const files = { ...DOMAIN_FILES, ...domainFiles };
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
    // Production code of each domain; tests may run several domains' workers together.
    ...DOMAINS.map((domain) => ({
      files: files[domain],
      ignores: TEST_FILES,
      rules: { 'no-restricted-imports': domainBoundaries(domain) },
    })),
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
                // Of the workspace's libs, workflow code uses pure values (money) and itself.
                group: [
                  '@invincible/*',
                  '!@invincible/money',
                  '!@invincible/workflows',
                  '!@invincible/activities',
                ],
                message:
                  'Workflow code runs in the Temporal sandbox: of the workspace, money only.',
              },
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
