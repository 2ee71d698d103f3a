/**
 * What the server that hosts the console tells it, beside the API: `config.json` (where the
 * Temporal Web UI is) and, in development only, `dev-key.json` (the development API key). Both
 * are optional: a 404 means "nothing to offer", never an error.
 */

export interface ConsoleConfig {
  /** The Temporal Web UI's origin, without a trailing slash. */
  readonly temporalUiUrl: string;
  readonly namespace: string;
  /**
   * The tenant whose keys sign in here (`dev` for the development keys). Temporal knows workflows
   * by tenant-qualified ids (`subscription:<tenant>~<id>`) while the API shows each tenant its own
   * ids only: without it no Web UI link can be built, and none is shown.
   */
  readonly tenantId: string | null;
}

type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

async function optionalJson(fetch: Fetch, url: string): Promise<Record<string, unknown> | null> {
  try {
    const response = await fetch(url, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) return null;
    const value: unknown = await response.json();
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

const TENANT_ID = /^[a-z0-9][a-z0-9-]{1,31}$/;

/** `config.json` as the console can use it, or null (absent, unreadable, or not a web URL). */
export function parseConsoleConfig(value: Record<string, unknown> | null): ConsoleConfig | null {
  if (!value) return null;
  const { temporalUiUrl, namespace, tenantId } = value;
  if (typeof temporalUiUrl !== 'string' || typeof namespace !== 'string' || namespace === '')
    return null;
  let url: URL;
  try {
    url = new URL(temporalUiUrl);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  return {
    temporalUiUrl: url.href.replace(/\/+$/, ''),
    namespace,
    tenantId: typeof tenantId === 'string' && TENANT_ID.test(tenantId) ? tenantId : null,
  };
}

export async function loadConsoleConfig(
  fetch: Fetch,
  basePath: string,
): Promise<ConsoleConfig | null> {
  return parseConsoleConfig(await optionalJson(fetch, `${basePath}config.json`));
}

/** The development key, when the server offers one (`npm start` in development only). */
export async function loadDevKey(fetch: Fetch, basePath: string): Promise<string | null> {
  const value = await optionalJson(fetch, `${basePath}dev-key.json`);
  const key = value?.['apiKey'];
  return typeof key === 'string' && key.trim() !== '' ? key.trim() : null;
}

/**
 * The workflow ids of libs/workflows/src/*\/contract.ts (`subscriptionWorkflowId`,
 * `loyaltyWorkflowId`) for a tenant's local ids: the console cannot import that lib (it is
 * Temporal sandbox code), so console-config.test.ts checks these against it.
 */
export const workflowIdOf = {
  subscription: (tenantId: string, subscriptionId: string) =>
    `subscription:${tenantId}~${subscriptionId}`,
  loyalty: (tenantId: string, customerId: string) => `loyalty:${tenantId}~${customerId}`,
} as const;

/** The Web UI page of a workflow, or null when the console is not told where the UI is. */
export function workflowUrl(
  config: ConsoleConfig | null,
  kind: keyof typeof workflowIdOf,
  localId: string,
): string | null {
  if (!config?.tenantId) return null;
  const workflowId = workflowIdOf[kind](config.tenantId, localId);
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
