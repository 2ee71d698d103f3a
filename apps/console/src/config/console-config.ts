/**
 * What the server that hosts the console tells it, beside the API: `config.json` (where the
 * Temporal Web UI is) and, in development only, `dev-key.json` (the development API key). Both
 * are optional: a 404 means "nothing to offer", never an error.
 */

export interface ConsoleConfig {
  /** The Temporal Web UI's origin, without a trailing slash. */
  readonly temporalUiUrl: string;
  readonly namespace: string;
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

/** `config.json` as the console can use it, or null (absent, unreadable, or not a web URL). */
export function parseConsoleConfig(value: Record<string, unknown> | null): ConsoleConfig | null {
  if (!value) return null;
  const { temporalUiUrl, namespace } = value;
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
 * The Web UI page of a workflow, by the `workflowId` the API gives with a subscription or a
 * loyalty balance (the id Temporal knows it by, tenant-qualified); null when the console is not
 * told where the UI is, or has no id yet.
 */
export function workflowUrl(
  config: ConsoleConfig | null,
  workflowId: string | undefined,
): string | null {
  if (!config || !workflowId) return null;
  return `${config.temporalUiUrl}/namespaces/${encodeURIComponent(config.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
}
