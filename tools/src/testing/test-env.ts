import { plainCassandraAt } from '../servers/temporal-cassandra';

/**
 * Reads a variable the int-test global setup (test-servers/jest-global-setup.ts) sets once the
 * shared test servers answer. Running a suite on its own without them is an error, never a silent skip.
 */
export function testEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run this suite through \`npx nx run tools:int-test\` or \`npm test\` (they start the test servers).`,
    );
  }
  return value;
}

/** The shared test Cassandra's first contact point, split as `plainCassandraAt` reads it. */
export function testCassandra(): { readonly host: string; readonly port: string } {
  const { hosts, port } = plainCassandraAt(testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'));
  return { host: hosts[0] ?? '127.0.0.1', port: String(port) };
}
