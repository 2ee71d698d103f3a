import type { TargetConfiguration } from '@nx/devkit';
import type { AppMarker } from './app-marker';

/**
 * The targets that turn a compiled app into what its Dockerfile copies: `dist/apps/<name>` with a
 * pruned package.json + lockfile and the workspace libs it uses (dependencies are installed in
 * the image, not bundled: @temporalio/core-bridge ships a native library), plus, for a worker,
 * its prebuilt workflow bundle. `compile` is @nx/js/typescript's; `build` only aggregates.
 */
export function deployTargets(
  projectRoot: string,
  marker: AppMarker,
): Record<string, TargetConfiguration> {
  // Where the app's tsconfig.app.json compiles to (its outDir): dist/ mirrors the source tree.
  const dist = `dist/${projectRoot}`;
  const fromCompile = { dependsOn: ['compile'], cache: true, options: { buildTarget: 'compile' } };
  const targets: Record<string, TargetConfiguration> = {
    'prune-lockfile': {
      executor: '@nx/js:prune-lockfile',
      ...fromCompile,
      inputs: ['{projectRoot}/package.json', '{workspaceRoot}/package-lock.json'],
      outputs: [
        `{workspaceRoot}/${dist}/package.json`,
        `{workspaceRoot}/${dist}/package-lock.json`,
      ],
    },
    'copy-workspace-modules': {
      executor: '@nx/js:copy-workspace-modules',
      ...fromCompile,
      inputs: ['production', '^production'],
      outputs: [`{workspaceRoot}/${dist}/workspace_modules`],
    },
  };
  if (marker.app === 'worker') {
    targets['bundle-workflows'] = {
      command: `node --conditions=@invincible/source --import tsx tools/src/bundle-workflows.ts ${marker.workflows} ${dist}/workflow-bundle.js`,
      cache: true,
      inputs: [
        '{workspaceRoot}/libs/workflows/src/**/*',
        '!{workspaceRoot}/libs/workflows/src/**/*.test.ts',
        '{workspaceRoot}/tools/src/bundle-workflows.ts',
      ],
      outputs: [`{workspaceRoot}/${dist}/workflow-bundle.js`],
    };
  }
  targets['build'] = {
    executor: 'nx:noop',
    dependsOn: ['compile', ...Object.keys(targets)],
    cache: true,
    outputs: [`{workspaceRoot}/${dist}`],
  };
  return targets;
}
