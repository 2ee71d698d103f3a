import { installPackagesTask, logger, type GeneratorCallback, type Tree } from '@nx/devkit';

/**
 * What a generator returns once it wrote a new workspace package: `npm install`, run by Nx after
 * the files are on disk (never on `--dry-run`), so that node_modules/@invincible links the new
 * package and its imports resolve. The root package.json does not change (its `workspaces` globs
 * cover apps/*), hence the forced install. With `skipInstall` it only says what to run.
 */
export function linkWorkspacePackages(tree: Tree, skipInstall = false): GeneratorCallback {
  return () => {
    if (skipInstall) {
      logger.info('Run `npm install` to link the new project into node_modules.');
      return;
    }
    installPackagesTask(tree, true);
  };
}
