import type { MigratableRepository } from './create-repository';
import { RepositoryError } from './errors';

export interface MigrateUntilDoneOptions {
  /** Pause between attempts (default 5 s). */
  readonly retryDelayMs?: number;
  /** Told about each failed attempt (log it). */
  readonly onRetry?: (error: unknown) => void;
  /** Checked before each attempt: true gives up quietly (the process is shutting down). */
  readonly stopped?: () => boolean;
}

/**
 * Migrates the schema, retrying until the database answers, so that an app started before its
 * database waits instead of crash-looping. A refusal no retry can change (a repository error
 * that is not retryable: a backend that rejects the schema, e.g. too many collections) is thrown
 * at once — the app stops with its reason instead of retrying forever.
 *
 * @returns whether the migration completed (false only when `stopped` ended the wait).
 */
export async function migrateUntilDone(
  repository: MigratableRepository,
  options: MigrateUntilDoneOptions = {},
): Promise<boolean> {
  while (!options.stopped?.()) {
    try {
      await repository.migrate();
      return true;
    } catch (error) {
      if (error instanceof RepositoryError && !error.retryable) throw error;
      options.onRetry?.(error);
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 5_000));
    }
  }
  return false;
}
