import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { WORKFLOW_SOURCES } from './index';

const silent = new DefaultLogger('ERROR');

/**
 * Workflow code runs in Temporal's deterministic sandbox. Two independent guards keep I/O out
 * of it: the bundler that builds every worker's workflow code, and lint. Both are shown here on
 * code that imports what it must not.
 */
const PROJECT_ROOT = join(__dirname, '..');
const REPO_ROOT = join(PROJECT_ROOT, '..', '..');
// Inside the repository (node_modules resolves) but outside any project's sources.
const SCRATCH = join(REPO_ROOT, 'node_modules', '.cache', 'invincible-sandbox-test');

const forbidden = {
  'node:fs': `import { readFileSync } from 'node:fs';\nexport async function leaky(): Promise<string> {\n  return readFileSync('/etc/hostname', 'utf8');\n}\n`,
  '@datastax/astra-db-ts': `import { DataAPIClient } from '@datastax/astra-db-ts';\nexport async function leaky(): Promise<string> {\n  return typeof new DataAPIClient('t');\n}\n`,
};

describe('the workflow sandbox guard: bundleWorkflowCode', () => {
  jest.setTimeout(60_000);
  afterAll(() => rmSync(SCRATCH, { recursive: true, force: true }));

  it.each(Object.entries(WORKFLOW_SOURCES))(
    "bundles the %s worker's workflows",
    async (_domain, specifier) => {
      const { code } = await bundleWorkflowCode({
        workflowsPath: require.resolve(specifier),
        logger: silent,
      });
      expect(code.length).toBeGreaterThan(10_000);
    },
  );

  it.each(Object.entries(forbidden))(
    'refuses workflow code that imports %s',
    async (name, source) => {
      const dir = join(SCRATCH, name.replace(/\W/g, '_'));
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'workflows.ts'), source);
      await expect(
        bundleWorkflowCode({ workflowsPath: join(dir, 'workflows.ts'), logger: silent }),
      ).rejects.toThrow();
    },
  );
});

describe('the workflow sandbox guard: lint', () => {
  jest.setTimeout(60_000);
  const target = join(__dirname, 'billing', 'workflows.ts');

  /** Lints `source` as the billing workflow file, exactly as `nx lint workflows` does: from the project directory, with its config. */
  function lint(source: string): { ruleId: string | null; message: string }[] {
    const eslint = spawnSync(
      join(REPO_ROOT, 'node_modules', '.bin', 'eslint'),
      ['--stdin', '--stdin-filename', relative(PROJECT_ROOT, target), '--format', 'json'],
      { cwd: PROJECT_ROOT, input: source, encoding: 'utf8' },
    );
    const [result] = JSON.parse(eslint.stdout) as [
      { messages: { ruleId: string | null; message: string }[] },
    ];
    return result.messages;
  }

  it.each(Object.entries(forbidden))('rejects %s in a workflow file', (name, source) => {
    const restricted = lint(source)
      .filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')
      .map((m) => m.message);
    expect(restricted.join('\n')).toContain(`'${name}' import is restricted`);
  });

  it('allows the activities lib as types only', () => {
    const typeOnly = lint(
      `import type { toActivityFailure } from '@invincible/activities';\nexport type F = typeof toActivityFailure;\n`,
    );
    expect(typeOnly.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')).toEqual(
      [],
    );
    const value = lint(
      `import { toActivityFailure } from '@invincible/activities';\nexport const f = toActivityFailure;\n`,
    );
    expect(value.map((m) => m.ruleId)).toContain('@typescript-eslint/no-restricted-imports');
  });

  it('accepts the current workflow file as it is', () => {
    expect(lint(`export {};\n`)).toEqual([]);
  });
});
