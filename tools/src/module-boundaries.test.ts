import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * The lint rules that keep the domains and the layers apart (eslint.config.mjs: tags in two
 * dimensions for `@nx/enforce-module-boundaries`, per-file domain rules, the workflow sandbox),
 * shown on small sources linted in place of real files, exactly as `nx lint <project>` lints
 * them: from the project's directory, with its eslint.config.mjs. Each forbidden import fails
 * with the rule that forbids it; each allowed one passes with no message at all, so that a rule
 * removed or loosened fails this test.
 */
const REPO_ROOT = join(__dirname, '..', '..');

interface Case {
  readonly name: string;
  /**
   * An existing source file (relative to the repository root) whose place the code takes: the
   * type-aware rules need a file that the project's tsconfig includes. Nothing is written.
   */
  readonly path: string;
  readonly code: string;
  /** The rule that must report the import; null: no message at all. */
  readonly fails: string | null;
}

const MODULE_BOUNDARIES = '@nx/enforce-module-boundaries';
const DOMAIN_RULE = 'no-restricted-imports';
const SANDBOX_RULE = '@typescript-eslint/no-restricted-imports';

const cases: Case[] = [
  // Billing knows loyalty by its contract, never by its code.
  {
    name: "billing activities import loyalty's rules",
    path: 'libs/activities/src/billing/loyalty-notifier.ts',
    code: `import { answerBatch } from '@invincible/workflows/loyalty/rules';\nexport const f = answerBatch;\n`,
    fails: DOMAIN_RULE,
  },
  {
    name: "billing workflow code imports loyalty's rules (relative)",
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { DEFAULT_SETTINGS } from '../loyalty/rules';\nexport const s = DEFAULT_SETTINGS;\n`,
    fails: DOMAIN_RULE,
  },
  {
    name: "the billing worker builds loyalty's activities",
    path: 'apps/billing-worker/src/reconcile-schedule.ts',
    code: `import { createLoyaltyActivities } from '@invincible/activities';\nexport const f = createLoyaltyActivities;\n`,
    fails: DOMAIN_RULE,
  },
  {
    name: "loyalty workflow code imports billing's model",
    path: 'libs/workflows/src/loyalty/workflows.ts',
    code: `import { initialState } from '../billing/billing-model';\nexport const f = initialState;\n`,
    fails: DOMAIN_RULE,
  },
  {
    name: "billing activities use loyalty's contract entry point",
    path: 'libs/activities/src/billing/loyalty-notifier.ts',
    code: `import { LOYALTY_TASK_QUEUE, loyaltyWorkflowId } from '@invincible/workflows/loyalty/contract';\nexport const target = [LOYALTY_TASK_QUEUE, loyaltyWorkflowId('c-1')];\n`,
    fails: null,
  },
  {
    name: "billing workflow code uses loyalty's contract (relative)",
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { LOYALTY_TASK_QUEUE } from '../loyalty/contract';\nexport const queue = LOYALTY_TASK_QUEUE;\n`,
    fails: null,
  },
  {
    name: 'the billing worker uses the contracts at the root and its own activities',
    path: 'apps/billing-worker/src/reconcile-schedule.ts',
    code: `import { createBillingActivities, createLoyaltyNotifier } from '@invincible/activities';\nimport { LOYALTY_TASK_QUEUE } from '@invincible/workflows';\nexport const wiring = [createBillingActivities, createLoyaltyNotifier, LOYALTY_TASK_QUEUE];\n`,
    fails: null,
  },
  // Workflows: contracts, money and the SDK's sandbox-safe packages only.
  {
    name: 'workflow code imports node:fs',
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n`,
    fails: SANDBOX_RULE,
  },
  {
    name: 'workflow code imports cassandra-driver',
    path: 'libs/workflows/src/loyalty/workflows.ts',
    code: `import { Client } from 'cassandra-driver';\nexport const C = Client;\n`,
    fails: SANDBOX_RULE,
  },
  {
    name: 'workflow code imports the data layer',
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { createRepository } from '@invincible/astra-repo';\nexport const f = createRepository;\n`,
    fails: MODULE_BOUNDARIES,
  },
  {
    name: 'workflow code imports the Temporal runtime lib',
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { temporalConnectionFromEnv } from '@invincible/temporal-runtime';\nexport const f = temporalConnectionFromEnv;\n`,
    fails: SANDBOX_RULE,
  },
  {
    name: 'workflow code uses money and the workflow SDK',
    path: 'libs/workflows/src/billing/workflows.ts',
    code: `import { formatMoney } from '@invincible/money';\nimport { sleep } from '@temporalio/workflow';\nexport const used = [formatMoney, sleep];\n`,
    fails: null,
  },
  // Layers: the foundation never reaches up; apps never run another layer's code.
  {
    name: 'the data layer (type:data) imports workflows',
    path: 'libs/astra-repo/src/config.ts',
    code: `import { BILLING_TASK_QUEUE } from '@invincible/workflows';\nexport const q = BILLING_TASK_QUEUE;\n`,
    fails: MODULE_BOUNDARIES,
  },
  {
    name: 'a shared util imports a domain lib',
    path: 'libs/money/src/currencies.ts',
    code: `import { BILLING_TASK_QUEUE } from '@invincible/workflows';\nexport const q = BILLING_TASK_QUEUE;\n`,
    fails: MODULE_BOUNDARIES,
  },
  {
    name: 'the API runs activities in production code',
    path: 'apps/api/src/app.ts',
    code: `import { createBillingActivities } from '@invincible/activities';\nexport const f = createBillingActivities;\n`,
    fails: MODULE_BOUNDARIES,
  },
  {
    name: 'the console (a browser) imports the contracts',
    path: 'apps/console/src/format/money.ts',
    code: `import { BILLING_TASK_QUEUE } from '@invincible/workflows';\nexport const q = BILLING_TASK_QUEUE;\n`,
    fails: MODULE_BOUNDARIES,
  },
];

interface Message {
  readonly ruleId: string | null;
  readonly message: string;
}

/**
 * Lints every case with the ESLint API (`lintText` at the case's path) in one child process per
 * project directory: ESLint loads its flat config with a dynamic `import()`, which Jest's module
 * system does not run.
 */
function lintAll(all: readonly Case[]): Message[][] {
  const byProject = new Map<string, { index: number; filePath: string; code: string }[]>();
  all.forEach((c, index) => {
    const project = projectOf(c.path);
    const list = byProject.get(project) ?? [];
    list.push({ index, filePath: join(REPO_ROOT, c.path), code: c.code });
    byProject.set(project, list);
  });
  const results: Message[][] = [];
  for (const [project, list] of byProject) {
    const script = `
      import { ESLint } from 'eslint';
      const input = JSON.parse(await new Promise((done) => {
        let s = ''; process.stdin.on('data', (d) => (s += d)); process.stdin.on('end', () => done(s));
      }));
      const eslint = new ESLint({ cwd: process.cwd() });
      const out = [];
      for (const { filePath, code } of input) {
        const [result] = await eslint.lintText(code, { filePath });
        out.push(result.messages.map(({ ruleId, message }) => ({ ruleId, message })));
      }
      process.stdout.write(JSON.stringify(out));
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: join(REPO_ROOT, project),
      input: JSON.stringify(list),
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    if (child.status !== 0) throw new Error(`eslint in ${project} failed:\n${child.stderr}`);
    const messages = JSON.parse(child.stdout) as Message[][];
    list.forEach(({ index }, i) => (results[index] = messages[i] ?? []));
  }
  return results;
}

/** The project directory of a path: `apps/<name>`, `libs/<name>` or `tools`. */
function projectOf(path: string): string {
  const [top, name] = path.split('/');
  return top === 'tools' ? 'tools' : `${top}/${name}`;
}

describe('module and domain boundaries (lint)', () => {
  jest.setTimeout(240_000);
  let results: Message[][];
  beforeAll(() => {
    results = lintAll(cases);
  });

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const messages = results[i] ?? [];
    if (c.fails === null) {
      expect(messages).toEqual([]);
    } else {
      expect(messages.map((m) => m.ruleId)).toContain(c.fails);
    }
  });
});
