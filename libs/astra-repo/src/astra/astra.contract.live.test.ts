import { describeRepositoryContract } from '../testing/repository-contract';
import { createAstraRepository } from './astra-repository';

/**
 * The contract on a real Data API (Astra DB, or a self-managed one with ASTRA_DB_ENVIRONMENT).
 * Without credentials this suite is reported as skipped — never as passed.
 */
const endpoint = process.env['ASTRA_DB_API_ENDPOINT'];
const token = process.env['ASTRA_DB_APPLICATION_TOKEN'];

if (!endpoint || !token) {
  describe('repository contract: astra (Data API, live)', () => {
    it.skip('runs when ASTRA_DB_API_ENDPOINT and ASTRA_DB_APPLICATION_TOKEN are set', () =>
      undefined);
  });
} else {
  describeRepositoryContract('astra (Data API, live)', async () => {
    const repo = createAstraRepository({
      backend: 'astra',
      endpoint,
      keyspace: process.env['ASTRA_DB_KEYSPACE'] ?? 'default_keyspace',
      environment: 'astra',
      auth: { token },
    });
    await repo.migrate();
    return { repo, close: () => repo.close() };
  });
}
