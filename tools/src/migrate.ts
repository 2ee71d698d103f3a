/**
 * `npx nx run astra-repo:migrate`: creates or upgrades the business schema (keyspace, tables or
 * collections) of the backend the environment names — the same variables the apps read.
 * Idempotent, and safe while apps that migrate at start-up are starting.
 */
import { createRepository, repositoryConfigFromEnv } from '@invincible/astra-repo';

async function main(): Promise<void> {
  const parsed = repositoryConfigFromEnv(process.env);
  if (!parsed.ok)
    throw new Error(`Invalid environment:\n${parsed.issues.map((i) => `  - ${i}`).join('\n')}`);
  const { config } = parsed;
  const repository = createRepository(config);
  try {
    const { applied } = await repository.migrate();
    const where =
      config.backend === 'astra'
        ? config.endpoint
        : (config.secureConnectBundle ?? config.contactPoints.join(','));
    console.log(
      `${config.backend} ${where}, keyspace ${config.keyspace}: ${applied ? 'schema created or upgraded' : 'schema already up to date'}`,
    );
  } finally {
    await repository.close();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
