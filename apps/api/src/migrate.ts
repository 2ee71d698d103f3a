/**
 * `node migrate.js` in the api image: creates or upgrades the business schema, then exits — the
 * deploy step (a Kubernetes Job, a release phase) that lets every app replica run with
 * `REPOSITORY_MIGRATE=false`. Reads the same database variables as the apps. Waits for the
 * database (an attempt every 5 s) for at most `MIGRATE_TIMEOUT_MS` (default 5 min); a refusal
 * no retry can change ends it at once. Exit 0: the schema is up to date; 1: it is not, and why.
 */
import {
  createRepository,
  migrateUntilDone,
  repositoryConfigFromEnv,
} from '@invincible/astra-repo';

/** The composition root of the migration: the only place it reads the environment or exits. */
async function main(): Promise<number> {
  const parsed = repositoryConfigFromEnv(process.env);
  const timeout = Number(process.env['MIGRATE_TIMEOUT_MS'] ?? 300_000);
  const issues = [
    ...(parsed.ok ? [] : parsed.issues),
    ...(Number.isSafeInteger(timeout) && timeout >= 1_000
      ? []
      : ['MIGRATE_TIMEOUT_MS: milliseconds, at least 1000']),
  ];
  if (!parsed.ok || issues.length > 0) {
    console.error(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    return 1;
  }
  const repository = createRepository(parsed.config);
  const deadline = Date.now() + timeout;
  try {
    const done = await migrateUntilDone(repository, {
      onRetry: (error) =>
        console.error(
          `schema migration failed (${error instanceof Error ? error.message : String(error)}); retrying in 5 s`,
        ),
      stopped: () => Date.now() >= deadline,
    });
    if (!done) {
      console.error(`the database did not answer within ${timeout} ms (MIGRATE_TIMEOUT_MS)`);
      return 1;
    }
    console.log(`schema up to date (${repository.backend})`);
    return 0;
  } catch (error) {
    // Refused for good (e.g. a keyspace a newer release migrated): its reason, one line.
    console.error(
      `schema migration refused: ${error instanceof Error ? error.message : String(error)}`,
    );
    return 1;
  } finally {
    await repository.close().catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
