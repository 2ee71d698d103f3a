import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { ensureSearchAttributes } from '@invincible/temporal-runtime';
import {
  BILLING_TASK_QUEUE,
  cancelUpdate,
  CUSTOMER_ID_SEARCH_ATTRIBUTE,
  initialSubscriptionSearchAttributes,
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltyWorkflowId,
  NEXT_CHARGE_AT_SEARCH_ATTRIBUTE,
  recordPurchaseUpdate,
  SEARCH_ATTRIBUTE_KEYS,
  statusQuery,
  SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE,
  SUBSCRIPTION_WORKFLOW_TYPE,
  subscriptionWorkflowId,
  type SubscriptionInput,
  type SubscriptionState,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import {
  createTestNamespace,
  requireTestEnv,
  temporalTestServers,
  type TemporalTestServer,
} from '@invincible/workflows/testing';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { NativeConnection, Worker } from '@temporalio/worker';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const HOUR = 3_600_000;

/**
 * The custom search attributes on each real test server: subscriptions driven into active,
 * past_due (the sandbox gateway declines `pm_card_declined`) and canceled are found — exactly —
 * by the queries an operator types into `temporal workflow list --query`, through the client and
 * through the CLI itself; continue-as-new keeps them; and the workers' start check registers
 * what a namespace lacks.
 */
describe.each(temporalTestServers())('search attributes ($name)', suite);

function suite({ address, tag }: TemporalTestServer): void {
  jest.setTimeout(180_000);
  const run = `${Date.now().toString(36)}${tag}`;
  const namespace = `search-${run}`;
  let connection: Connection;
  let client: Client;
  let nativeConnection: NativeConnection;
  let billing: Worker;
  let loyalty: Worker;
  let running: Promise<void>;

  beforeAll(async () => {
    connection = await Connection.connect({ address });
    await createTestNamespace(connection, namespace);
    client = new Client({ connection, namespace });
    const repo = createInMemoryRepository();
    const mailer = createOutboxMailer({ outbox: repo.outbox });
    nativeConnection = await NativeConnection.connect({ address });
    billing = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: BILLING_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      activities: createBillingActivities({
        repository: repo,
        payments: createSandboxGateway({ payments: repo.payments }),
        mailer,
        loyalty: createLoyaltyNotifier(client.workflow),
      }),
    });
    loyalty = await Worker.create({
      connection: nativeConnection,
      namespace,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({ repository: repo, mailer }),
    });
    running = Promise.all([billing.run(), loyalty.run()]).then(() => undefined);
  });

  afterAll(async () => {
    billing?.shutdown();
    loyalty?.shutdown();
    await running;
    await nativeConnection?.close();
    await connection?.close();
  });

  const input = (name: string, overrides: Partial<SubscriptionInput>): SubscriptionInput => ({
    subscriptionId: `${name}-${run}`,
    customerId: `cus-a-${run}`,
    customerEmail: 'ada@example.com',
    paymentMethod: 'pm_card_visa',
    price: { amountMinor: 1999, currency: 'USD' },
    interval: { unit: 'hour', count: 1 },
    startAt: new Date(Date.now() + 1_000).toISOString(),
    timeZone: 'UTC',
    ...overrides,
  });

  /** Started as the API starts it: with the attributes of its initial state. */
  const start = (subscription: SubscriptionInput, withAttributes = true) =>
    client.workflow.start(SUBSCRIPTION_WORKFLOW_TYPE, {
      taskQueue: BILLING_TASK_QUEUE,
      workflowId: subscriptionWorkflowId(subscription.subscriptionId),
      args: [subscription],
      ...(withAttributes
        ? { typedSearchAttributes: initialSubscriptionSearchAttributes(subscription) }
        : {}),
    });

  async function until(
    handle: WorkflowHandle,
    done: (s: SubscriptionState) => boolean,
  ): Promise<SubscriptionState> {
    for (let i = 0; i < 150; i++) {
      const s = await handle.query(statusQuery);
      if (done(s)) return s;
      await sleep(200);
    }
    throw new Error(`${handle.workflowId}: state not reached in time`);
  }

  /** The workflow ids `query` lists, once visibility (eventually consistent) has caught up. */
  async function listed(query: string, expected: readonly string[]): Promise<string[]> {
    let ids: string[] = [];
    for (let i = 0; i < 100; i++) {
      ids = [];
      for await (const execution of client.workflow.list({ query })) ids.push(execution.workflowId);
      ids.sort();
      if (JSON.stringify(ids) === JSON.stringify([...expected].sort())) break;
      await sleep(200);
    }
    return ids;
  }

  it('finds subscriptions by status, customer and next charge — exactly, through the client and the CLI', async () => {
    const active = await start(input('active', {}));
    const pastDue = await start(
      input('past-due', { paymentMethod: 'pm_card_declined', dunningDays: [1] }),
    );
    const canceled = await start(input('canceled', { customerId: `cus-b-${run}` }));
    // Started without attributes (as before the API set them): the workflow upserts them itself.
    const trialing = await start(
      input('trialing', { customerId: `cus-b-${run}`, trialDays: 30 }),
      false,
    );

    const activeState = await until(active, (s) => s.periodsBilled === 1);
    const pastDueState = await until(pastDue, (s) => s.status === 'past_due');
    await until(canceled, (s) => s.periodsBilled === 1);
    await canceled.executeUpdate(cancelUpdate, { args: [{ mode: 'now' }] });
    await canceled.result();
    const trialState = await until(trialing, (s) => s.status === 'trialing');

    expect(activeState).toMatchObject({ status: 'active' });
    expect(pastDueState.dunning).not.toBeNull();
    // What each execution holds, as the workflow last set it.
    const described = await active.describe();
    expect(described.typedSearchAttributes.get(SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE)).toBe(
      'active',
    );
    expect(described.typedSearchAttributes.get(NEXT_CHARGE_AT_SEARCH_ATTRIBUTE)).toEqual(
      new Date(activeState.nextChargeAt ?? ''),
    );
    const ended = (await canceled.describe()).typedSearchAttributes;
    expect(ended.get(SUBSCRIPTION_STATUS_SEARCH_ATTRIBUTE)).toBe('canceled');
    expect(ended.get(NEXT_CHARGE_AT_SEARCH_ATTRIBUTE)).toBeUndefined();
    expect(
      (await trialing.describe()).typedSearchAttributes.get(CUSTOMER_ID_SEARCH_ATTRIBUTE),
    ).toBe(`cus-b-${run}`);

    const subs = `WorkflowType='${SUBSCRIPTION_WORKFLOW_TYPE}'`;
    expect(await listed("SubscriptionStatus='past_due'", [pastDue.workflowId])).toEqual([
      pastDue.workflowId,
    ]);
    expect(await listed("SubscriptionStatus='canceled'", [canceled.workflowId])).toEqual([
      canceled.workflowId,
    ]);
    expect(await listed("SubscriptionStatus='trialing'", [trialing.workflowId])).toEqual([
      trialing.workflowId,
    ]);
    // The charges earned loyalty points: customer a's program carries CustomerId too.
    const customerA = [active.workflowId, pastDue.workflowId, loyaltyWorkflowId(`cus-a-${run}`)];
    expect(await listed(`CustomerId='cus-a-${run}'`, customerA)).toEqual([...customerA].sort());
    expect(
      await listed(`CustomerId='cus-b-${run}' AND ${subs}`, [
        canceled.workflowId,
        trialing.workflowId,
      ]),
    ).toEqual([canceled.workflowId, trialing.workflowId].sort());
    // The next hour: the active subscription's second period, not the retry tomorrow, nor the
    // trial's end in 30 days, nor the canceled one (no next charge).
    const from = new Date(Date.now()).toISOString();
    const to = new Date(Date.now() + 2 * HOUR).toISOString();
    expect(await listed(`NextChargeAt BETWEEN '${from}' AND '${to}'`, [active.workflowId])).toEqual(
      [active.workflowId],
    );
    expect(
      await listed(`NextChargeAt > '${to}' AND ${subs}`, [pastDue.workflowId, trialing.workflowId]),
    ).toEqual([pastDue.workflowId, trialing.workflowId].sort());
    expect(new Date(trialState.nextChargeAt ?? '').getTime()).toBeGreaterThan(
      Date.now() + 29 * 24 * HOUR,
    );

    // The README's command, as an operator runs it.
    const { stdout } = await promisify(execFile)(requireTestEnv('TEMPORAL_CLI_PATH'), [
      'workflow',
      'list',
      '--address',
      address,
      '--namespace',
      namespace,
      '--query',
      "SubscriptionStatus='past_due'",
      '--output',
      'json',
    ]);
    const rows = JSON.parse(stdout) as { execution: { workflowId: string } }[];
    expect(rows.map((r) => r.execution.workflowId)).toEqual([pastDue.workflowId]);

    await Promise.all([active, pastDue, trialing].map((h) => h.terminate('test done')));
  });

  it('a continued run starts with the attributes of the run before it', async () => {
    const handle = await start(
      input('continued', {
        customerId: `cus-c-${run}`,
        interval: { unit: 'second', count: 1 },
        periodsPerRun: 1,
      }),
    );
    const first = (await handle.describe()).runId;
    await until(handle, (s) => s.periodsBilled >= 2);
    const { runId } = await handle.describe();
    expect(runId).not.toBe(first);
    // The continued run's first event: what it was started with, before any upsert of its own.
    const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(Object.keys(started?.searchAttributes?.indexedFields ?? {}).sort()).toEqual([
      'CustomerId',
      'NextChargeAt',
      'SubscriptionStatus',
    ]);
    expect(started?.continuedExecutionRunId).toBeTruthy();
    await handle.terminate('test done');
  });

  it('a loyalty program started without CustomerId upserts it, and its continued run keeps it', async () => {
    const customerId = `cus-l-${run}`;
    // As a caller that predates the attributes starts it: nothing set at start.
    const handle = await client.workflow.start(LOYALTY_WORKFLOW_TYPE, {
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowId: loyaltyWorkflowId(customerId),
      args: [{ customerId, eventsPerRun: 2 }],
    });
    const first = (await handle.describe()).runId;
    for (let i = 1; i <= 3; i++) {
      await handle.executeUpdate(recordPurchaseUpdate, {
        args: [
          {
            purchaseId: `p-${i}`,
            total: 1_000,
            currency: 'USD',
            occurredAt: new Date().toISOString(),
          },
        ],
      });
    }
    const { runId } = await handle.describe();
    expect(runId).not.toBe(first);
    // Both runs: the first by its upsert, the continued one from its start.
    expect(
      await listed(`CustomerId='${customerId}'`, [handle.workflowId, handle.workflowId]),
    ).toEqual([handle.workflowId, handle.workflowId]);
    expect(
      await listed(`CustomerId='${customerId}' AND ExecutionStatus='Running'`, [handle.workflowId]),
    ).toEqual([handle.workflowId]);
    const history = await client.workflow.getHandle(handle.workflowId, runId).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(Object.keys(started?.searchAttributes?.indexedFields ?? {})).toEqual(['CustomerId']);
    await handle.terminate('test done');
  });

  it("the workers' start check registers what a namespace lacks, once", async () => {
    const bare = `search-bare-${run}`;
    await connection.workflowService.registerNamespace({
      namespace: bare,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    for (let i = 0; i < 50; i++) {
      const ok = await connection.workflowService.describeNamespace({ namespace: bare }).then(
        () => true,
        () => false,
      );
      if (ok) break;
      await sleep(200);
    }
    const listedIn = async () =>
      Object.keys(
        (await connection.operatorService.listSearchAttributes({ namespace: bare }))
          .customAttributes,
      );
    const names = SEARCH_ATTRIBUTE_KEYS.map((k) => k.name);
    expect(await listedIn()).not.toEqual(expect.arrayContaining(names));
    // Through a NativeConnection's operator service, as the workers call it.
    const check = () =>
      ensureSearchAttributes({
        operator: nativeConnection.operatorService,
        namespace: bare,
        attributes: SEARCH_ATTRIBUTE_KEYS,
      });
    await expect(check()).resolves.toEqual({ added: names });
    expect(await listedIn()).toEqual(expect.arrayContaining(names));
    await expect(check()).resolves.toEqual({ added: [] });
  });
}
