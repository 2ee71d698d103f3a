import { join } from 'node:path';
import {
  formatFiles,
  generateFiles,
  updateJson,
  type GeneratorCallback,
  type Tree,
} from '@nx/devkit';
import { linkWorkspacePackages } from '../install';
import { assertNewName, templateNames } from '../names';
import { addToSolution } from '../solution';
import { insertBefore, replaceOnce } from '../text-edits';

export interface DomainSchema {
  readonly name: string;
  /** Leave `npm install` (which links the new worker into node_modules) to the caller. */
  readonly skipInstall?: boolean;
}

/**
 * `nx g @invincible/nx-plugin:domain <name>`: a new domain as billing and loyalty are built — its
 * contract, workflow and activities beside theirs in libs/workflows and libs/activities, a worker
 * app like apps/loyalty-worker — and wired where every domain is: the libs' tags and exports, the
 * lint rules that keep domains apart, the local stack's apps and the README's table.
 */
export async function domainGenerator(
  tree: Tree,
  schema: DomainSchema,
): Promise<GeneratorCallback> {
  const n = templateNames(schema.name);
  const worker = `apps/${n.name}-worker`;
  assertNewName(
    tree,
    schema.name,
    [`libs/workflows/src/${n.name}`, `libs/activities/src/${n.name}`, worker],
    [`${n.name}-worker`],
  );
  const substitutions = { ...n, projectName: `${n.name}-worker`, tmpl: '' };
  generateFiles(tree, join(__dirname, 'files'), '.', substitutions);
  generateFiles(tree, join(__dirname, '..', 'app-files'), worker, substitutions);
  addToSolution(tree, worker);
  wireWorkflows(tree, n);
  wireActivities(tree, n);
  wireLint(tree, n);
  wireStack(tree, n);
  wireReadme(tree, n);
  await formatFiles(tree);
  return linkWorkspacePackages(tree, schema.skipInstall);
}

type Names = ReturnType<typeof templateNames>;

function addDomainTag(tree: Tree, packageJson: string, name: string): void {
  updateJson(tree, packageJson, (json: { nx: { tags: string[] } }) => {
    json.nx.tags.push(`domain:${name}`);
    return json;
  });
}

/** The contract in the root export and as its own entry point; the workflows for the worker. */
function wireWorkflows(tree: Tree, n: Names): void {
  const index = 'libs/workflows/src/index.ts';
  insertBefore(
    tree,
    index,
    '',
    "export * from './reconciliation/contract';",
    `export * from './${n.name}/contract';\n`,
  );
  insertBefore(
    tree,
    index,
    'export const WORKFLOW_SOURCES = {',
    '} as const;',
    `  '${n.name}': '@invincible/workflows/${n.name}/workflows',\n`,
  );
  updateJson(tree, 'libs/workflows/package.json', (json: { exports: Record<string, unknown> }) => {
    for (const entry of ['contract', 'workflows']) {
      json.exports[`./${n.name}/${entry}`] = {
        '@invincible/source': `./src/${n.name}/${entry}.ts`,
        types: `./dist/${n.name}/${entry}.d.ts`,
        default: `./dist/${n.name}/${entry}.js`,
      };
    }
    return json;
  });
  addDomainTag(tree, 'libs/workflows/package.json', n.name);
}

function wireActivities(tree: Tree, n: Names): void {
  const index = 'libs/activities/src/index.ts';
  const source = tree.read(index, 'utf-8') ?? '';
  tree.write(
    index,
    `${source}export { create${n.className}Activities } from './${n.name}/create-${n.name}-activities';\nexport type { ${n.className}ActivityDeps } from './${n.name}/create-${n.name}-activities';\n`,
  );
  addDomainTag(tree, 'libs/activities/package.json', n.name);
}

/** The domain's activities and files, from which eslint.config.mjs derives its domain rules. */
function wireLint(tree: Tree, n: Names): void {
  insertBefore(
    tree,
    'eslint.config.mjs',
    'const ACTIVITIES_OF = {',
    '\n};',
    `\n  '${n.name}': ['create${n.className}Activities', '${n.className}ActivityDeps'],`,
  );
  insertBefore(
    tree,
    'eslint.config.mjs',
    'const DOMAIN_FILES = {',
    '\n};',
    `\n  '${n.name}': ['**/src/${n.name}/**/*.ts', 'apps/${n.name}-worker/src/**/*.ts'],`,
  );
}

/** `npm start` runs the new worker too, ready once its task queue has a poller. */
function wireStack(tree: Tree, n: Names): void {
  const apps = 'tools/src/apps.ts';
  replaceOnce(
    tree,
    apps,
    /import \{([^}]*)\} from '@invincible\/workflows';/,
    `import {$1, ${n.constantName}_TASK_QUEUE } from '@invincible/workflows';`,
  );
  insertBefore(
    tree,
    apps,
    'const WORKER_TASK_QUEUES = {',
    '} as const;',
    `  '${n.name}-worker': ${n.constantName}_TASK_QUEUE,\n`,
  );
}

function wireReadme(tree: Tree, n: Names): void {
  insertBefore(
    tree,
    'README.md',
    '| project ',
    '| `api`, `console`',
    `| \`${n.name}-worker\` | ${n.name} | \`app\` |\n`,
  );
  for (const lib of ['workflows', 'activities']) {
    replaceOnce(
      tree,
      'README.md',
      new RegExp(`(\\| \`${lib}\` +\\| [^|]*?) +\\|`),
      `$1 + ${n.name} |`,
    );
  }
}

export default domainGenerator;
