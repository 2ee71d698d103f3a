import { repositoryConfigFromEnv } from '../config-from-env';
import { describeRepositoryContract } from '../testing/repository-contract';
import { createAstraRepository } from './astra-repository';

/**
 * The contract on a real Data API: Astra DB (a token), or a self-managed one
 * (`ASTRA_DB_ENVIRONMENT=cassandra|hcd|dse|other`, with ASTRA_DB_USERNAME and ASTRA_DB_PASSWORD,
 * or a token) — read exactly as the apps read them, so what the suite runs against is what a
 * deployment with the same variables gets. `migrate` creates the keyspace on a self-managed API.
 * Without ASTRA_DB_API_ENDPOINT this suite is reported as skipped — never as passed; with an
 * endpoint and a bad configuration it fails, naming every bad variable.
 */

if (!process.env['ASTRA_DB_API_ENDPOINT']) {
  describe('repository contract: astra (Data API, live)', () => {
    it.skip('runs when ASTRA_DB_API_ENDPOINT (and its credentials) are set', () => undefined);
  });
} else {
  describeRepositoryContract('astra (Data API, live)', async () => {
    const parsed = repositoryConfigFromEnv(process.env);
    if (!parsed.ok) throw new Error(`Invalid environment:\n  - ${parsed.issues.join('\n  - ')}`);
    if (parsed.config.backend !== 'astra') throw new Error('ASTRA_DB_API_ENDPOINT is not in use');
    const repo = createAstraRepository(parsed.config);
    await repo.migrate();
    return { repo, close: () => repo.close() };
  });
}
