/** Test support of the workflows lib (`@invincible/workflows/testing`); never imported by workflow code. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import Long from 'long';
import { PAYLOAD_CONVERTER_SOURCE } from './index';

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

/** One of the real Temporal servers `npm test` runs for the end-to-end suites. */
export interface TemporalTestServer {
  /** For test titles: `dev server` or `Temporal on Cassandra`. */
  readonly name: string;
  /** Short and distinct, to keep the keyspaces and ids of one suite apart per server. */
  readonly tag: string;
  readonly address: string;
}

/**
 * The dev server (SQLite) and the Temporal server persisted on Cassandra that `npm test` starts,
 * for `describe.each`: every end-to-end suite runs on both. Either address missing fails the
 * suite, naming it — never a silent skip.
 */
export function temporalTestServers(): TemporalTestServer[] {
  return [
    {
      name: 'dev server',
      tag: 'd',
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS'),
    },
    {
      name: 'Temporal on Cassandra',
      tag: 'c',
      address: requireTestEnv('INVINCIBLE_TEST_TEMPORAL_CASSANDRA_ADDRESS'),
    },
  ];
}

/** Registers a namespace of a suite's own on a shared test server and waits until it is usable. */
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

/**
 * Workflows path of a fixture registering `subscription` as the pre-`billing-exactly-once` loop:
 * executions it starts are what a deploy finds running (tests of the migration to the new loop).
 */
export const LEGACY_BILLING_WORKFLOWS_FIXTURE =
  require.resolve('./testing/fixtures/legacy-subscription-workflows');

/** The recorded histories in `dir` (`<name>.json`), sorted by name. */
export function loadHistories(
  dir: string,
): { readonly workflowId: string; readonly history: unknown }[] {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({
      workflowId: file.replace(/\.json$/, ''),
      history: JSON.parse(readFileSync(join(dir, file), 'utf8')) as unknown,
    }));
}

/** Replays `histories` against the workflow code at `workflowsPath`; returns one line per failure. */
export async function replayFailures(
  workflowsPath: string,
  histories: readonly { readonly workflowId: string; readonly history: unknown }[],
): Promise<string[]> {
  const failures: string[] = [];
  // The workers' payload converter, as in production: recorded rejected messages decode the same.
  const dataConverter = { payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE) };
  for await (const result of Worker.runReplayHistories(
    { workflowsPath, dataConverter },
    histories,
  )) {
    if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
  }
  return failures;
}
