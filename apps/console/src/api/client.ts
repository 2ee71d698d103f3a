/**
 * The one client of the API: typed by the paths generated from its OpenAPI document, with the
 * API key added to every request and every error answer turned into an {@link ApiError}.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { ApiError, asProblem, fieldLabel, problemMessage } from './api-error';
import type { paths } from './schema.gen';

export type ApiClient = Client<paths>;

export interface ApiClientOptions {
  /** Where the API is: the page's own origin (the API serves the console under `/console`). */
  readonly baseUrl: string;
  /** The key to send, read at each request (it changes on sign-in and sign-out). */
  readonly apiKey: () => string | null;
  /** Called once for every 401: the key is no longer accepted. */
  readonly onUnauthorized?: (error: ApiError) => void;
  /** The network; tests pass a fake one. */
  readonly fetch?: (request: Request) => Promise<Response>;
}

function retryAfterSeconds(response: Response): number | null {
  const value = response.headers.get('retry-after');
  if (value === null) return null;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds));
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

/** The ApiError for an error answer, from its problem document when it has one. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = JSON.parse(await response.clone().text());
  } catch {
    // Not JSON (a proxy's HTML page): the status alone frames the message.
  }
  const problem = asProblem(body);
  const requestId = response.headers.get('x-request-id');
  const fieldErrors = (problem?.errors ?? []).map((e) => ({ ...e, field: fieldLabel(e.field) }));
  return new ApiError(
    response.status,
    problemMessage(response.status, problem, retryAfterSeconds(response), requestId),
    problem,
    fieldErrors,
    requestId,
  );
}

/** Sends the key and turns error answers and network failures into ApiErrors. */
export function apiMiddleware(
  options: Pick<ApiClientOptions, 'apiKey' | 'onUnauthorized'>,
): Middleware {
  return {
    onRequest({ request }) {
      const key = options.apiKey();
      if (key) request.headers.set('Authorization', `Bearer ${key}`);
      return request;
    },
    async onResponse({ response }) {
      if (response.ok) return response;
      const error = await errorFromResponse(response);
      if (response.status === 401) options.onUnauthorized?.(error);
      throw error;
    },
    onError({ error }) {
      // A cancelled request (the page moved on) stays what it is; anything else is the network.
      if (error instanceof Error && error.name === 'AbortError') return error;
      return new ApiError(0, problemMessage(0, null), null);
    },
  };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  client.use(apiMiddleware(options));
  return client;
}

/**
 * The body of a successful call. The middleware has already thrown for every error answer, so
 * only an empty success is left to refuse.
 */
export async function body<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, response } = await call;
  if (data === undefined) {
    throw new ApiError(response.status, 'The API answered without the expected data.', null);
  }
  return data;
}
