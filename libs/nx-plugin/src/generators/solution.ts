import { updateJson, type Tree } from '@nx/devkit';

/**
 * Adds `projectRoot` to the root tsconfig.json's references, as `nx sync` would: a generated
 * project is then part of the TypeScript solution at once, and the workspace stays in sync (a
 * workspace out of sync stops every `nx` task outside CI, and `npm test` in CI).
 */
export function addToSolution(tree: Tree, projectRoot: string): void {
  updateJson(tree, 'tsconfig.json', (json: { references?: { path: string }[] }) => {
    const path = `./${projectRoot}`;
    const references = json.references ?? [];
    if (!references.some((r) => r.path === path)) references.push({ path });
    return { ...json, references };
  });
}
