/**
 * Jest `globalSetup` of every `int-test` and `e2e` target (jest.int-preset.cjs): waits for the
 * test servers the project lists in `globals.testServers` (started by Nx as continuous tasks, see
 * state.ts) and puts their addresses and the provisioned tools' paths in the environment the
 * suites read (INVINCIBLE_TEST_*, TEMPORAL_TEST_SERVER_PATH, TEMPORAL_CLI_PATH, HELM_PATH,
 * INVINCIBLE_TEST_SCHEMATHESIS_PYTHON). Variables already set win: a caller may point the suites
 * at servers of its own.
 */
import type { Config } from 'jest';
import { TEST_SERVERS, type TestServerName } from './state';
import { testRunEnv } from './wait-for-servers';

export default async function globalSetup(
  _global: unknown,
  project: { readonly globals?: Config['globals'] },
): Promise<void> {
  const wanted = (project.globals?.['testServers'] ?? []) as string[];
  const unknown = wanted.filter((s) => !TEST_SERVERS.includes(s as TestServerName));
  if (unknown.length > 0) {
    throw new Error(
      `globals.testServers: ${unknown.join(', ')}; known: ${TEST_SERVERS.join(', ')}`,
    );
  }
  // Test workers start after this and inherit the variables.
  Object.assign(process.env, await testRunEnv(wanted as TestServerName[], process.env));
}
