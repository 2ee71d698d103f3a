/**
 * The repository's typed errors. Callers branch with `instanceof RepositoryError` (or a
 * subclass); activities map them onto retryable or non-retryable Temporal failures, the API onto
 * HTTP statuses.
 *
 * @example
 * ```ts
 * try {
 *   await repo.customers.get(id);
 * } catch (error) {
 *   if (error instanceof NotFoundError) return reply.status(404);
 *   throw error;
 * }
 * ```
 */
export abstract class RepositoryError extends Error {
  /** Whether repeating the same call later can succeed. */
  abstract readonly retryable: boolean;
}

/** The record does not exist. */
export class NotFoundError extends RepositoryError {
  override readonly name = 'NotFoundError';
  readonly retryable = false;
  constructor(
    readonly entity: string,
    readonly id: string,
  ) {
    super(`${entity} ${JSON.stringify(id)} was not found`);
  }
}

/** The write contradicts what is stored (same key, different content; a lost race). */
export class ConflictError extends RepositoryError {
  override readonly name = 'ConflictError';
  readonly retryable = false;
  constructor(
    readonly entity: string,
    readonly id: string,
    readonly reason: string,
  ) {
    super(`${entity} ${JSON.stringify(id)}: ${reason}`);
  }
}

/** The input is malformed: nothing was written. */
export class ValidationError extends RepositoryError {
  // Widened: a subclass (InvalidCursorError) names itself.
  override readonly name: string = 'ValidationError';
  readonly retryable = false;
  constructor(
    message: string,
    /** Field path → reason, for callers that report per-field errors. */
    readonly fields: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/**
 * A listing's `cursor` is not one this listing made (crafted, truncated, or another listing's):
 * a `ValidationError` on the field `cursor`, which the API reports as a query parameter.
 */
export class InvalidCursorError extends ValidationError {
  override readonly name = 'InvalidCursorError';
  constructor(reason: string) {
    super('invalid cursor', { cursor: reason });
  }
}

/**
 * The database refused the command for a reason a retry cannot change: a query it does not
 * support (a self-managed Data API rejects range filters on collections), a malformed command, a
 * schema limit. Never retried: the activity fails at once with this message, instead of Temporal
 * retrying it forever behind WARN lines.
 */
export class BackendRejectedError extends RepositoryError {
  override readonly name = 'BackendRejectedError';
  readonly retryable = false;
  constructor(
    readonly backend: string,
    /** The database's own code, e.g. the Data API's `INVALID_DATABASE_QUERY`. */
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} rejected the command (${code}): ${message}`, options);
  }
}

/** The database could not be reached or timed out; a timed-out write may have been applied. */
export class UnavailableError extends RepositoryError {
  override readonly name = 'UnavailableError';
  readonly retryable = true;
  constructor(
    readonly backend: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} unavailable: ${message}`, options);
  }
}
