/**
 * The marker that opts an app into the inferred deploy targets: an `invincible` block in its
 * package.json. Explicit on purpose: a project is deployed the workspace's way because it says
 * so, not because of where it sits or what it imports.
 *
 * ```json
 * "invincible": { "app": "worker", "workflows": "billing" }   // a Temporal worker
 * "invincible": { "app": "service" }                          // an HTTP service (the API)
 * ```
 *
 * `workflows` names the worker's workflow sources, a key of `WORKFLOW_SOURCES` in
 * `@invincible/workflows` (what `tools/src/bundle-workflows.ts` bundles).
 */
export type AppMarker =
  { readonly app: 'service' } | { readonly app: 'worker'; readonly workflows: string };

/** A lowercase kebab-case name: what a workflows key (and a domain) may be. */
const KEBAB = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

/**
 * The marker of a package.json's contents, undefined when it has none; throws on a malformed one,
 * naming the file, so that a typo never silently drops an app's build.
 */
export function readAppMarker(packageJson: unknown, file: string): AppMarker | undefined {
  const block = (packageJson as { invincible?: unknown } | null)?.invincible;
  if (block === undefined) return undefined;
  const { app, workflows } = (block ?? {}) as { app?: unknown; workflows?: unknown };
  if (app === 'service' && workflows === undefined) return { app };
  if (app === 'worker' && typeof workflows === 'string' && KEBAB.test(workflows)) {
    return { app, workflows };
  }
  throw new Error(
    `${file}: "invincible" must be { "app": "service" } or { "app": "worker", "workflows": "<domain>" }, not ${JSON.stringify(block)}`,
  );
}
