/**
 * An error a handler throws to answer with a given problem (RFC 9457). Its `detail` is written
 * for API clients; anything else a handler throws becomes a 500 whose details only the log sees.
 */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    /** Extension members of the problem, e.g. `errors` with field-level details. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}

/** One field-level validation failure: where (`body`, `query`, `path`, `header`) and what. */
export interface FieldError {
  readonly in: 'body' | 'query' | 'path' | 'header';
  /** JSON-pointer-like path inside that part of the request, e.g. `price.amountMinor`. */
  readonly field: string;
  readonly message: string;
}

export const badRequest = (detail: string, errors: readonly FieldError[] = []) =>
  new HttpError(400, 'Bad Request', detail, errors.length > 0 ? { errors } : {});
export const notFound = (detail: string) => new HttpError(404, 'Not Found', detail);
export const conflict = (detail: string) => new HttpError(409, 'Conflict', detail);
export const unprocessable = (detail: string) =>
  new HttpError(422, 'Unprocessable Content', detail);
/** 503 with `Retry-After`: the request may be retried as is once the dependency is back. */
export const unavailable = (detail: string, retryAfterSeconds = 5) =>
  new HttpError(
    503,
    'Service Unavailable',
    detail,
    {},
    { 'Retry-After': String(retryAfterSeconds) },
  );
