import { join } from 'node:path';
import { MissingToolError } from '../errors';
import { isExecutable, which } from './which';

/** The `java` to run Cassandra and the test server with: JAVA_HOME first, then PATH. */
export function findJava(javaHome: string | undefined, pathVar: string | undefined): string {
  if (javaHome) {
    const candidate = join(javaHome, 'bin', 'java');
    if (isExecutable(candidate)) return candidate;
  }
  const onPath = which('java', pathVar);
  if (onPath) return onPath;
  throw new MissingToolError(
    'Java (JDK or JRE 17)',
    'Install it (Debian: apt-get install openjdk-17-jre-headless) or set JAVA_HOME; ' +
      'or point CASSANDRA_CONTACT_POINTS (or ASTRA_DB_API_ENDPOINT) at an existing database.',
  );
}
