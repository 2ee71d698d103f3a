/**
 * `npm run reconcile`: starts a reconciliation run on demand (the `reconcile` workflow the
 * schedule runs, served by the billing worker) against TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE
 * (default 127.0.0.1:7233, `default`), waits for it (at most RECONCILE_WAIT_MS, default 30 min),
 * then prints the open findings from the database the environment names (the same variables the
 * apps read). Exits 1 if any finding is open, 2 if the run could not complete.
 */
import { createRepository, repositoryConfigFromEnv } from '@invincible/astra-repo';
import {
  RECONCILE_TASK_QUEUE,
  RECONCILE_WORKFLOW_TYPE,
  reconcileWorkflowId,
  type ReconcileInput,
  type ReconcileResult,
} from '@invincible/workflows';
import { payloadCodecFromEnv, temporalConnectionFromEnv } from '@invincible/temporal-runtime';
import { Client, Connection } from '@temporalio/client';

async function main(): Promise<number> {
  const parsed = repositoryConfigFromEnv(process.env);
  if (!parsed.ok)
    throw new Error(`Invalid environment:\n${parsed.issues.map((i) => `  - ${i}`).join('\n')}`);
  // The same reading of TEMPORAL_* and PAYLOAD_CODEC_KEYS as the apps: TLS, API key, codec.
  const temporal = temporalConnectionFromEnv({
    TEMPORAL_ADDRESS: '127.0.0.1:7233',
    ...process.env,
  });
  const codec = payloadCodecFromEnv(process.env);
  if (!temporal.ok || !codec.ok) {
    const issues = [...(temporal.ok ? [] : temporal.issues), ...(codec.ok ? [] : codec.issues)];
    throw new Error(`Invalid environment:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
  }
  const address = temporal.config.connectionOptions.address;
  const namespace = temporal.config.namespace;
  const waitMs = Number(process.env['RECONCILE_WAIT_MS'] ?? 30 * 60_000);

  const connection = await Connection.connect(temporal.config.connectionOptions);
  const repository = createRepository(parsed.config);
  try {
    const client = new Client({
      connection,
      namespace,
      ...(codec.codec ? { dataConverter: { payloadCodecs: [codec.codec] } } : {}),
    });
    const workflowId = reconcileWorkflowId(`cli-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    const handle = await client.workflow.start(RECONCILE_WORKFLOW_TYPE, {
      taskQueue: RECONCILE_TASK_QUEUE,
      workflowId,
      args: [{} satisfies ReconcileInput],
    });
    console.log(`reconciliation run ${workflowId} started on ${address} (${namespace})`);
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(
        () =>
          reject(
            new Error(
              `run ${workflowId} did not finish within ${waitMs} ms: is a billing worker running?`,
            ),
          ),
        waitMs,
      ).unref(),
    );
    const result = (await Promise.race([handle.result(), timeout])) as ReconcileResult;
    const seconds = (Date.parse(result.finishedAt) - Date.parse(result.startedAt)) / 1000;
    console.log(
      `finished in ${seconds.toFixed(1)} s; checked ${Object.entries(result.checked)
        .map(([check, n]) => `${check} ${n}`)
        .join(', ')}; ${result.noLongerObserved} earlier finding(s) no longer observed`,
    );

    const rows: Record<string, string>[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 10_000; pages++) {
      const page = await repository.reconciliation.listFindings('open', { limit: 100, cursor });
      for (const f of page.items) {
        rows.push({
          kind: f.kind,
          subject: f.subjectId,
          customer: f.customerId ?? '',
          expected: f.expected,
          actual: f.actual,
          'first seen': f.firstSeenAt.toISOString(),
        });
      }
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    if (rows.length === 0) {
      console.log('no open findings: money and points add up');
      return 0;
    }
    console.table(rows);
    console.log(`${rows.length} open finding(s): reported, never corrected automatically`);
    return 1;
  } finally {
    await repository.close();
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(2);
  },
);
