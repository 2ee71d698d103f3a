/** Test support of the workflows lib (`@invincible/workflows/testing`); never imported by workflow code. */
import { TestWorkflowEnvironment } from '@temporalio/testing';

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
