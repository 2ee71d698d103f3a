import { join } from 'node:path';
import { formatFiles, generateFiles, names, type GeneratorCallback, type Tree } from '@nx/devkit';
import { linkWorkspacePackages } from '../install';
import { assertNewName, templateNames } from '../names';
import { addToSolution } from '../solution';
import { insertBefore, replaceOnce } from '../text-edits';

export interface ServiceSchema {
  readonly name: string;
  /** The service's `domain:` tag: `shared` (the default: an edge composing domains) or a domain. */
  readonly domain?: string;
  /** Leave `npm install` (which links the new app into node_modules) to the caller. */
  readonly skipInstall?: boolean;
}

/** What the example route uses of a domain's published contract. */
interface ContractBinding {
  readonly contractDomain: string;
  readonly workflowIdFn: string;
  readonly queryName: string;
  readonly viewType: string;
  /** The route's collection: `GET /<resource>/:id`. */
  readonly resource: string;
}

/** The hand-written domains' contracts, which do not follow the generated names. */
const KNOWN_CONTRACTS: Readonly<Record<string, ContractBinding>> = {
  billing: {
    contractDomain: 'billing',
    workflowIdFn: 'subscriptionWorkflowId',
    queryName: 'statusQuery',
    viewType: 'SubscriptionState',
    resource: 'subscriptions',
  },
  loyalty: {
    contractDomain: 'loyalty',
    workflowIdFn: 'loyaltyWorkflowId',
    queryName: 'getPointsQuery',
    viewType: 'PointsView',
    resource: 'points',
  },
};

/** A shared service is an edge over the domains; its example route reads billing's contract. */
const SHARED_CONTRACT = 'billing';

/**
 * `nx g @invincible/nx-plugin:service <name> [--domain shared|<domain>]`: an Express service like
 * apps/api, reduced to its shape — zod config, a Temporal client from the TEMPORAL_* variables,
 * `/healthz` and `/readyz`, graceful shutdown, a Dockerfile, the marker that infers its deploy
 * targets — with one route that queries a workflow through a domain's published contract.
 */
export async function serviceGenerator(
  tree: Tree,
  schema: ServiceSchema,
): Promise<GeneratorCallback> {
  const domain = schema.domain ?? 'shared';
  const root = `apps/${schema.name}`;
  assertNewName(tree, schema.name, [root], [schema.name]);
  const binding = contractOf(tree, domain === 'shared' ? SHARED_CONTRACT : domain);
  const n = templateNames(schema.name);
  const substitutions = { ...n, ...binding, domain, projectName: n.name, tmpl: '' };
  generateFiles(tree, join(__dirname, 'files'), '.', substitutions);
  generateFiles(tree, join(__dirname, '..', 'app-files'), root, substitutions);
  addToSolution(tree, root);
  if (domain !== 'shared') wireDomainFiles(tree, domain, root);
  insertBefore(
    tree,
    'README.md',
    '| project ',
    '| `api`, `console`',
    `| \`${n.name}\` | ${domain === 'shared' ? 'shared' : domain} | \`app\` |\n`,
  );
  await formatFiles(tree);
  return linkWorkspacePackages(tree, schema.skipInstall);
}

/**
 * The binding of `domain`'s contract: a hand-written domain's from the table, a generated one's
 * from the names the domain generator writes (checked in its contract, so that a renamed export
 * fails here rather than in the generated service's typecheck).
 */
function contractOf(tree: Tree, domain: string): ContractBinding {
  const contract = `libs/workflows/src/${domain}/contract.ts`;
  const source = /^[a-z][a-z0-9-]*$/.test(domain) ? tree.read(contract, 'utf-8') : null;
  if (source === null) {
    throw new Error(
      `--domain ${domain}: no such domain (shared, or one with ${contract}); nothing was written.`,
    );
  }
  const known = KNOWN_CONTRACTS[domain];
  if (known) return known;
  const n = names(domain);
  const binding: ContractBinding = {
    contractDomain: n.fileName,
    workflowIdFn: `${n.propertyName}WorkflowId`,
    queryName: `${n.propertyName}StatusQuery`,
    viewType: `${n.className}View`,
    resource: 'cases',
  };
  const missing = [binding.workflowIdFn, binding.queryName, binding.viewType].filter(
    (name) => !new RegExp(`export (const|function|interface|type) ${name}\\b`).test(source),
  );
  if (missing.length > 0) {
    throw new Error(
      `${contract} does not export ${missing.join(', ')} (the domain generator's names); nothing was written.`,
    );
  }
  return binding;
}

/** The service's sources are its domain's: the root lint config's per-file boundaries say so. */
function wireDomainFiles(tree: Tree, domain: string, root: string): void {
  replaceOnce(
    tree,
    'eslint.config.mjs',
    new RegExp(`(const DOMAIN_FILES = \\{[\\s\\S]*?\\n  '?${domain}'?: \\[[^\\]]*?)(,?\\s*\\],)`),
    `$1, '${root}/src/**/*.ts'$2`,
  );
}

export default serviceGenerator;
