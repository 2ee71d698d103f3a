import { spawn, type ChildProcess } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createRepository, type MigratableRepository } from '@invincible/astra-repo';
import { LOYALTY_TASK_QUEUE, loyaltyWorkflowId, recordPurchaseUpdate } from '@invincible/workflows';
import {
  createTestNamespace,
  requireTestEnv,
  temporalTestServers,
  type TemporalTestServer,
} from '@invincible/workflows/testing';
import { Client, Connection, WithStartWorkflowOperation } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { SMTPServer } from 'smtp-server';

/**
 * Chaos on each real test server (the dev server, and Temporal persisted on Cassandra): the loyalty worker process is SIGKILLed while it issues a
 * coupon — its email is held by a real local SMTP server — and restarted. The customer must end
 * with one coupon and one delivered email. Own namespace and keyspace on the shared servers.
 */
const REPO_ROOT = join(__dirname, '..', '..', '..');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.each(temporalTestServers())(
  'loyalty worker SIGKILLed while issuing a coupon ($name)',
  chaosSuite,
);

function chaosSuite({ address, tag }: TemporalTestServer): void {
  jest.setTimeout(240_000);
  const run = `${Date.now().toString(36)}${tag}`;
  const namespace = `chaos-loyalty-${run}`;
  const keyspace = `chaos_loyalty_${run}`;
  const delivered: string[] = [];
  let smtp: SMTPServer;
  let smtpPort: number;
  let connection: Connection;
  let repository: MigratableRepository;
  let worker: ChildProcess | undefined;

  function startWorker(): ChildProcess {
    return spawn(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        join(REPO_ROOT, 'apps', 'loyalty-worker', 'src', 'main.ts'),
      ],
      {
        cwd: REPO_ROOT,
        env: {
          PATH: process.env['PATH'],
          TEMPORAL_ADDRESS: address,
          TEMPORAL_NAMESPACE: namespace,
          CASSANDRA_CONTACT_POINTS: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
          CASSANDRA_KEYSPACE: keyspace,
          SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
          LOG_LEVEL: 'warn',
        },
        stdio: 'ignore',
      },
    );
  }

  beforeAll(async () => {
    // An SMTP sink that takes 2 s to accept each message — the window for the SIGKILL — and,
    // like a compliant mail server, does not deliver a message whose client vanished before the
    // final 250 reply (the client cannot know it was delivered, and will send it again).
    const closed = new Set<string>();
    smtp = new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      onClose(session) {
        closed.add(session.id);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          setTimeout(() => {
            if (closed.has(session.id)) {
              callback(new Error('client gone before the reply: not delivered'));
              return;
            }
            delivered.push(Buffer.concat(chunks).toString('utf8'));
            callback();
          }, 2_000);
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    smtpPort = (smtp.server.address() as AddressInfo).port;

    connection = await Connection.connect({ address });
    await createTestNamespace(connection, namespace);
    repository = createRepository({
      backend: 'cassandra',
      contactPoints: requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS').split(','),
      localDataCenter: 'datacenter1',
      keyspace,
      replicationFactor: 1,
    });
    await repository.migrate();
  });

  afterAll(async () => {
    worker?.kill('SIGKILL');
    await repository?.close();
    await connection?.close();
    await new Promise<void>((resolve) => smtp?.close(() => resolve()));
  });

  it('ends with one coupon and one delivered email', async () => {
    worker = startWorker();
    const client = new Client({ connection, namespace });
    const customerId = `cus-chaos-${run}`;
    const workflowId = loyaltyWorkflowId(customerId);
    const update = client.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
      args: [
        {
          purchaseId: `order-${run}`,
          total: 10_000,
          currency: 'USD',
          occurredAt: new Date().toISOString(),
        },
      ],
      startWorkflowOperation: new WithStartWorkflowOperation('loyaltyProgram', {
        workflowId,
        taskQueue: LOYALTY_TASK_QUEUE,
        args: [{ customerId, customerEmail: 'ada@example.com' }],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });

    // Wait for the coupon's activity to be running on the worker, then kill the worker.
    const handle = client.workflow.getHandle(workflowId);
    let killed = false;
    for (let i = 0; i < 300 && !killed; i++) {
      const { raw } = await handle.describe().catch(() => ({ raw: { pendingActivities: [] } }));
      if (
        (raw.pendingActivities ?? []).some(
          (a) =>
            a.activityType?.name === 'issueCoupons' &&
            a.state === temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
        )
      ) {
        await sleep(500); // inside the SMTP server's 2 s hold
        worker.kill('SIGKILL');
        killed = true;
        await sleep(300);
        worker = startWorker();
      } else {
        await sleep(100);
      }
    }
    expect(killed).toBe(true);

    await expect(update).resolves.toMatchObject({
      counted: true,
      couponsIssued: [`${customerId}:1`],
      balance: 0,
    });
    const coupons = await repository.coupons.listByCustomer(customerId);
    expect(coupons.items.map((c) => c.id)).toEqual([`${customerId}:1`]);
    const emails = await repository.outbox.listByCustomer(customerId);
    expect(emails.items.map((e) => [e.id, e.status])).toEqual([[`${customerId}:1:coupon`, 'sent']]);
    expect(delivered.filter((m) => m.includes(`${customerId}:1`))).toHaveLength(1);
    await handle.terminate('test done');
  });
}
