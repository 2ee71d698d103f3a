/**
 * Writes apps/console/src/api/schema.gen.ts from the API's current route specs:
 * `npx nx run console:generate-client`; commit the result with the API change that caused it.
 * With `--check`, writes nothing and exits 1 when the committed file is stale (the console's
 * tests run it so).
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SCHEMA_FILE, schemaSource } from './client-schema';

const check = process.argv.includes('--check');
const workspaceRoot = resolve(import.meta.dirname, '..', '..', '..');
const target = join(workspaceRoot, SCHEMA_FILE);
const source = await schemaSource(workspaceRoot);
const before = await readFile(target, 'utf8').catch(() => null);
if (before === source) {
  console.log(`${SCHEMA_FILE} is up to date`);
} else if (check) {
  console.error(
    `${SCHEMA_FILE} is stale: the API changed since it was generated. Run \`npx nx run console:generate-client\` and commit the result.`,
  );
  process.exitCode = 1;
} else {
  await writeFile(target, source);
  console.log(`wrote ${SCHEMA_FILE} (${source.length} characters)`);
}
