import { names, type Tree } from '@nx/devkit';

/** Lowercase kebab-case: a folder, a task queue, a tag and a package name all at once. */
const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * Names a generator may not take: the existing domains, the shared tag, and the folders of
 * libs/workflows that are not domains (a domain folder there would collide with them).
 */
export const RESERVED_NAMES = [
  'billing',
  'loyalty',
  'shared',
  'reconciliation',
  'messages',
  'search-attributes',
  'tracing',
  'testing',
  'api',
  'console',
  'tools',
];

/** The spellings templates use: `shipping-label` → ShippingLabel, shippingLabel, SHIPPING_LABEL. */
export function templateNames(name: string) {
  const n = names(name);
  return {
    name: n.fileName,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
  };
}

/**
 * Throws, before anything is written, when `name` is not kebab-case, is reserved, when any of
 * `paths` (what the generator would create) exists already, or when any of `projects` (the
 * projects it would create) is the name of a project of the workspace.
 */
export function assertNewName(
  tree: Tree,
  name: string,
  paths: readonly string[],
  projects: readonly string[] = [],
): void {
  if (!KEBAB.test(name)) {
    throw new Error(`"${name}" is not a kebab-case name (e.g. shipping or partner-gateway).`);
  }
  if (RESERVED_NAMES.includes(name)) {
    throw new Error(`"${name}" is reserved: ${RESERVED_NAMES.join(', ')}.`);
  }
  const taken = paths.filter((path) => tree.exists(path));
  if (taken.length > 0) {
    throw new Error(`"${name}" exists already (${taken.join(', ')}); nothing was written.`);
  }
  const existing = projectNames(tree);
  const clashes = projects.filter((project) => existing.has(project));
  if (clashes.length > 0) {
    throw new Error(`"${clashes.join(', ')}" is a project already; nothing was written.`);
  }
}

/** The workspace's project names: each package's `nx.name`, or its package name without scope. */
function projectNames(tree: Tree): Set<string> {
  const roots = [
    ...['apps', 'libs'].flatMap((dir) => tree.children(dir).map((child) => `${dir}/${child}`)),
    'tools',
  ];
  const found = new Set<string>();
  for (const root of roots) {
    const source = tree.read(`${root}/package.json`, 'utf-8');
    if (source === null) continue;
    const pkg = JSON.parse(source) as { name?: string; nx?: { name?: string } };
    const project = pkg.nx?.name ?? pkg.name?.replace(/^@[^/]+\//, '');
    if (project) found.add(project);
  }
  return found;
}
