/**
 * `npm run keys -- <command>`: creates tenants and keys, lists, revokes and rotates keys, on the
 * database the environment names (the same variables the apps read; default the local stack's
 * Cassandra). The schema is migrated first, so it also works on a fresh database.
 */
import { createRepository, repositoryConfigFromEnv } from '@invincible/astra-repo';
import { KEYS_USAGE, runKeysCommand, UsageError } from './keys-command';

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  if (argv.length === 0 || argv.includes('--help') || argv.includes('-h')) {
    console.log(KEYS_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const parsed = repositoryConfigFromEnv(process.env);
  if (!parsed.ok)
    throw new Error(`Invalid environment:\n${parsed.issues.map((i) => `  - ${i}`).join('\n')}`);
  const repository = createRepository(parsed.config);
  try {
    await repository.migrate();
    const result = await runKeysCommand(argv, repository);
    if (argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
    else print(result as Record<string, unknown>);
    return 0;
  } finally {
    await repository.close();
  }
}

function print(result: Record<string, unknown>): void {
  for (const [label, value] of Object.entries(result)) {
    if (label === 'secret') continue;
    if (Array.isArray(value)) console.table(value);
    else console.log(label, value);
  }
  if (typeof result['secret'] === 'string') {
    console.log(`\nsecret: ${result['secret']}`);
    console.log(
      'Shown this once: only its SHA-256 is stored. Send it as Authorization: Bearer <secret>.',
    );
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof UsageError
        ? `${error.message}\n\n${KEYS_USAGE}`
        : error instanceof Error
          ? error.message
          : error,
    );
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
