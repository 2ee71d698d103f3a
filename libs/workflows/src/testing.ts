/** Test support of the workflows lib (`@invincible/workflows/testing`); never imported by workflow code. */
import type { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import Long from 'long';

/**
 * Starts Temporal's Java time-skipping test server through the executable `npm test` provisions
 * (TEMPORAL_TEST_SERVER_PATH): the SDK's own download of the server needs the internet.
 */
export function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = process.env['TEMPORAL_TEST_SERVER_PATH'];
  if (!path) {
    throw new Error(
      'TEMPORAL_TEST_SERVER_PATH is not set: run workflow suites through `npm test`.',
    );
  }
  return TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path } },
  });
}

/**
 * Reads a variable that `npm test` sets after starting the shared test servers; a suite run
 * without them fails with this message instead of being skipped.
 */
export function requireTestEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this suite through \`npm test\`.`);
  return value;
}

/** Registers a namespace of a suite's own on the shared dev server and waits until it is usable. */
export async function createTestNamespace(
  connection: Connection,
  namespace: string,
): Promise<void> {
  await connection.workflowService.registerNamespace({
    namespace,
    workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
  });
  // A new namespace takes a moment to reach the server's namespace cache.
  for (let i = 0; i < 100; i++) {
    try {
      await connection.workflowService.describeNamespace({ namespace });
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  throw new Error(`namespace ${namespace} did not become usable`);
}
