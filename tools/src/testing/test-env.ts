/**
 * Reads a variable that `npm test` (tools/src/cli.ts test) sets after starting the shared test
 * servers. Running a suite on its own without them is an error, never a silent skip.
 */
export function testEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(
      `${name} is not set: run this suite through \`npm test\` (it starts the test servers).`,
    );
  }
  return value;
}
