/**
 * A fake of the API at the network boundary: a `fetch` that answers the console's requests from
 * handlers keyed by the OpenAPI path template (`GET /v1/customers/{customerId}`), and records
 * every request as sent. Nothing of the console itself is replaced.
 */

export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly body: unknown;
}

export interface Call {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly headers: Headers;
  /** How many times this route was called before (0 the first time). */
  readonly n: number;
}

export type Handler = (call: Call) => Response | Promise<Response>;

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'req-test', ...headers },
  });

/** A problem document as the API's error handler writes it. */
export const problem = (
  status: number,
  title: string,
  detail: string,
  extra: Record<string, unknown> = {},
) =>
  new Response(JSON.stringify({ type: 'about:blank', title, status, detail, ...extra }), {
    status,
    headers: { 'Content-Type': 'application/problem+json', 'X-Request-Id': 'req-test' },
  });

function matcher(template: string) {
  const names: string[] = [];
  const pattern = template
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\{(\w+)\}/g, (_m, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
  const regex = new RegExp(`^${pattern}$`);
  return (path: string) => {
    const m = regex.exec(path);
    if (!m) return null;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(m[i + 1] ?? '')]));
  };
}

export function fakeApi(handlers: Record<string, Handler>) {
  const requests: SentRequest[] = [];
  const counts = new Map<string, number>();
  const routes = Object.entries(handlers).map(([key, handler]) => {
    const [method, template] = key.split(' ') as [string, string];
    return { key, method, match: matcher(template), handler };
  });
  const fetch = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const text = await request.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    requests.push({ method: request.method, url, headers: request.headers, body });
    for (const route of routes) {
      if (route.method !== request.method) continue;
      const params = route.match(url.pathname);
      if (!params) continue;
      const n = counts.get(route.key) ?? 0;
      counts.set(route.key, n + 1);
      return route.handler({ params, query: url.searchParams, body, headers: request.headers, n });
    }
    return problem(404, 'Not Found', `No route for ${request.method} ${url.pathname}`);
  };
  return {
    fetch,
    requests,
    /** The requests sent to `method path` (a concrete path, e.g. `/v1/customers/cus_ada`). */
    sent: (method: string, path: string) =>
      requests.filter((r) => r.method === method && r.url.pathname === path),
  };
}
