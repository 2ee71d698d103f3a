import {
  ConflictError,
  NotFoundError,
  RepositoryError,
  ValidationError,
} from '@invincible/astra-repo';
import { ApplicationFailure } from '@temporalio/common';

/**
 * Translates an error thrown inside an activity into what Temporal should do with it: a
 * repository error that retrying cannot fix becomes a non-retryable `ApplicationFailure` whose
 * type is the error's name (PascalCase, matchable in workflow code); anything else — including
 * `UnavailableError` and unknown errors — is rethrown as is and retried with backoff.
 *
 * @example
 * ```ts
 * async function saveProjection(p: Projection) {
 *   try {
 *     await repo.subscriptions.upsert(p);
 *   } catch (error) {
 *     throw toActivityFailure(error);
 *   }
 * }
 * ```
 */
export function toActivityFailure(error: unknown): unknown {
  if (error instanceof RepositoryError && !error.retryable) {
    const details: unknown[] = [];
    if (error instanceof ValidationError) details.push(error.fields);
    if (error instanceof NotFoundError || error instanceof ConflictError)
      details.push({ entity: error.entity, id: error.id });
    return ApplicationFailure.create({
      message: error.message,
      type: error.name,
      nonRetryable: true,
      details,
      cause: error,
    });
  }
  return error;
}
