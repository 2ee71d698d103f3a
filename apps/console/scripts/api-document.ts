/**
 * The API's OpenAPI document, built in-process from its route specs exactly as `createApp` builds
 * the one it serves at `/openapi.json` (apps/api/src/app.ts `apiRoutes`,
 * openapi/openapi-document.ts).
 *
 * Build-time only: the app bundle never imports the API. The API's modules are loaded by path at
 * run time (not by a static import), so the console project does not depend on the API in the
 * Nx graph: `console:build` never waits for `api:build`.
 */
import { join } from 'node:path';

export type Document = Record<string, unknown>;

/** The few exports of the API the generator uses (loaded by path: see the module comment). */
interface ApiModules {
  readonly apiRoutes: (deps: unknown, metrics: unknown, signed: unknown) => unknown[];
  readonly openApiDocument: (routes: unknown[], version: string) => Document;
  readonly createMetrics: () => unknown;
  readonly customerTokens: (secret: string) => unknown;
  readonly signedCursors: (secret: string) => unknown;
}

async function loadApi(workspaceRoot: string): Promise<ApiModules> {
  const src = (file: string) => join(workspaceRoot, 'apps', 'api', 'src', file);
  const [app, document, metrics, tokens, cursors] = (await Promise.all([
    import(src('app.ts')),
    import(src('openapi/openapi-document.ts')),
    import(src('http/metrics.ts')),
    import(src('http/customer-tokens.ts')),
    import(src('http/cursors.ts')),
  ])) as Record<string, unknown>[];
  const modules = {
    apiRoutes: app?.['apiRoutes'],
    openApiDocument: document?.['openApiDocument'],
    createMetrics: metrics?.['createMetrics'],
    customerTokens: tokens?.['customerTokens'],
    signedCursors: cursors?.['signedCursors'],
  };
  const missing = Object.entries(modules)
    .filter(([, value]) => typeof value !== 'function')
    .map(([name]) => name);
  if (missing.length > 0)
    throw new Error(
      `apps/api/src no longer exports ${missing.join(', ')}: update apps/console/scripts/client-schema.ts`,
    );
  return modules as unknown as ApiModules;
}

/**
 * A stand-in for every dependency a route only uses when it handles a request (Temporal, the
 * repository): building the routes reads its properties; calling anything is a bug here.
 */
function unusable(name: string): unknown {
  const target = () => undefined;
  const proxy: unknown = new Proxy(target, {
    get: (_t, property) => (property === 'then' ? undefined : proxy),
    apply: () => {
      throw new Error(`the OpenAPI generator called ${name}: route specs must not do I/O`);
    },
  });
  return proxy;
}

/** The API's OpenAPI document, as `GET /openapi.json` serves it. */
export async function apiDocument(workspaceRoot: string): Promise<Document> {
  const api = await loadApi(workspaceRoot);
  const secret = 'openapi-generator-only-0123456789abcdef';
  const deps = {
    logger: unusable('logger'),
    temporal: unusable('temporal'),
    repository: unusable('repository'),
    apiKeys: [],
    readiness: {},
  };
  const routes = api.apiRoutes(deps, api.createMetrics(), {
    tokens: api.customerTokens(secret),
    cursors: api.signedCursors(secret),
  });
  return api.openApiDocument(routes, '1.0.0');
}
