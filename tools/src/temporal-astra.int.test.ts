import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { REPO_ROOT } from './paths';
import type { timers } from './testing/persistence-workflows';
import {
  cleanStackEnv,
  freePort,
  freeTemporalPorts,
  STACK_CLI,
  spawnCollecting,
  waitFor,
} from './testing/processes';

/**
 * Temporal persisted in Astra DB, the production shape: Temporal's gocql driver cannot read a
 * secure connect bundle, so Astra's CQL proxy runs beside the server with the bundle and a token
 * and the server talks plain CQL to it. The proxy is not provisioned by this repository; this
 * suite runs when a proxy address and Astra credentials are in the environment, and is reported
 * as skipped otherwise — never as passed.
 */
const proxy = process.env['TEMPORAL_CASSANDRA_PROXY'];
const token = process.env['ASTRA_DB_APPLICATION_TOKEN'];
const keyspace = process.env['ASTRA_DB_TEMPORAL_KEYSPACE'] ?? 'temporal';
const live = proxy && token ? describe : describe.skip;

live(
  'Temporal on Astra DB through its CQL proxy (TEMPORAL_CASSANDRA_PROXY, ASTRA_DB_APPLICATION_TOKEN)',
  () => {
    jest.setTimeout(600_000);

    it('sets up the schema in the Astra keyspace, starts, and runs a workflow with timers', async () => {
      const dataDir = mkdtempSync(join(tmpdir(), 'invincible-temporal-astra-'));
      const port = await freeTemporalPorts();
      const stack = spawnCollecting(process.execPath, [...STACK_CLI, 'up', '--only', 'temporal'], {
        cwd: REPO_ROOT,
        detached: true,
        env: cleanStackEnv({
          TEMPORAL_PERSISTENCE: 'cassandra',
          TEMPORAL_CASSANDRA_PROXY: proxy,
          TEMPORAL_CASSANDRA_KEYSPACE: keyspace,
          TEMPORAL_PORT: String(port),
          TEMPORAL_UI_PORT: String(await freePort()),
          ASTRA_DB_API_ENDPOINT: process.env['ASTRA_DB_API_ENDPOINT'] ?? 'unused',
          INVINCIBLE_DATA_DIR: dataDir,
        }),
      });
      try {
        await waitFor('the stack', () => stack.output().includes('Invincible is up'), 540_000);
        const address = `127.0.0.1:${port}`;
        const taskQueue = `astra-${Date.now().toString(36)}`;
        const worker = await Worker.create({
          connection: await NativeConnection.connect({ address }),
          taskQueue,
          workflowsPath: require.resolve('./testing/persistence-workflows'),
        });
        const client = new Client({ connection: await Connection.connect({ address }) });
        const lags = await worker.runUntil(
          client.workflow.execute<typeof timers>('timers', {
            taskQueue,
            workflowId: taskQueue,
            args: [{ count: 2, intervalMs: 1_000 }],
          }),
        );
        expect(lags).toHaveLength(2);
      } finally {
        if (stack.child.pid !== undefined) process.kill(-stack.child.pid, 'SIGINT');
        await stack.exited;
        rmSync(dataDir, { recursive: true, force: true });
      }
    });
  },
);
