/**
 * The workspace's Nx plugin, registered in nx.json. `createNodesV2` infers the deploy targets of
 * every app that carries the `invincible` marker in its package.json (see app-marker.ts), so the
 * apps no longer hand-write the same four targets; the generators live in generators.json.
 *
 * `targetDefaults.build` states no `dependsOn`: Nx applies target defaults on top of every
 * plugin's inferred targets (plugins, then target defaults, then package.json), so a default
 * `dependsOn` would replace the aggregation below; every plugin that infers a `build` already
 * gives it the one it needs. What an app's `int-test` needs (its build, the server tasks) stays
 * in its package.json for the same reason.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createNodesFromFiles, type CreateNodesV2 } from '@nx/devkit';
import { readAppMarker } from './app-marker';
import { deployTargets } from './deploy-targets';

export const createNodesV2: CreateNodesV2 = [
  'apps/*/package.json',
  (files, _options, context) =>
    createNodesFromFiles(
      (file) => {
        const json = JSON.parse(readFileSync(join(context.workspaceRoot, file), 'utf8')) as unknown;
        const marker = readAppMarker(json, file);
        if (!marker) return {};
        const root = dirname(file);
        return { projects: { [root]: { targets: deployTargets(root, marker) } } };
      },
      files,
      _options,
      context,
    ),
];
