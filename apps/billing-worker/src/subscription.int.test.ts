import {
  createBillingActivities,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import type { ChargeEntry } from '@invincible/astra-repo';
import { createInMemoryRepository, type InMemoryRepository } from '@invincible/astra-repo/testing';
import {
  BILLING_TASK_QUEUE,
  getPointsQuery,
  LOYALTY_TASK_QUEUE,
  loyaltyWorkflowId,
  cancelSignal,
  cancelUpdate,
  changePriceUpdate,
  chargeAt,
  pauseUpdate,
  resumeUpdate,
  statusQuery,
  subscriptionWorkflowId,
  type SubscriptionInput,
  type SubscriptionResult,
  WORKFLOW_SOURCES,
} from '@invincible/workflows';
import { createTimeSkippingEnv } from '@invincible/workflows/testing';
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';

/**
 * The subscription workflow on Temporal's time-skipping test server, with the real billing
 * activities over the in-memory repository and the sandbox gateway: months pass in seconds.
 */
describe('subscription workflow (time-skipping)', () => {
  jest.setTimeout(120_000);
  let env: TestWorkflowEnvironment;
  let repo: InMemoryRepository;
  let worker: Worker;
  let loyaltyWorker: Worker;
  let running: Promise<unknown>;
  let seq = 0;

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    repo = createInMemoryRepository();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: BILLING_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      activities: createBillingActivities({
        repository: repo,
        payments: createSandboxGateway({ payments: repo.payments }),
        mailer: createOutboxMailer({ outbox: repo.outbox }),
        loyalty: createLoyaltyNotifier(env.client.workflow),
      }),
    });
    // The customer's loyalty program runs on its own worker and task queue, as in production.
    loyaltyWorker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: LOYALTY_TASK_QUEUE,
      workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
      activities: createLoyaltyActivities({
        repository: repo,
        mailer: createOutboxMailer({ outbox: repo.outbox }),
      }),
    });
    running = Promise.all([worker.run(), loyaltyWorker.run()]);
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    loyaltyWorker?.shutdown();
    await running;
    await env?.teardown();
  });

  /**
   * Inputs start on the Jan 31 (09:00 UTC) after the test server's clock — which every test's
   * skipped time moves on — so that each scenario begins in the future.
   */
  async function input(overrides: Partial<SubscriptionInput> = {}): Promise<SubscriptionInput> {
    seq++;
    const year = new Date(await env.currentTimeMs()).getUTCFullYear() + 1;
    return {
      subscriptionId: `sub-${seq}`,
      customerId: `cus-${seq}`,
      customerEmail: 'ada@example.com',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1999, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
      startAt: new Date(Date.UTC(year, 0, 31, 9)).toISOString(),
      timeZone: 'UTC',
      ...overrides,
    };
  }

  async function start(i: SubscriptionInput): Promise<WorkflowHandle> {
    return env.client.workflow.start('subscription', {
      taskQueue: BILLING_TASK_QUEUE,
      workflowId: subscriptionWorkflowId(i.subscriptionId),
      args: [i],
    });
  }

  async function ledger(subscriptionId: string): Promise<ChargeEntry[]> {
    return [...(await repo.charges.listBySubscription(subscriptionId, { limit: 100 })).items];
  }

  async function emails(customerId: string): Promise<string[]> {
    const page = await repo.outbox.listByCustomer(customerId, { limit: 100 });
    return page.items.map((e) => e.template).sort();
  }

  const day = (d: Date) => d.toISOString().slice(0, 10);

  /** The validator's reason of a rejected Update. */
  async function rejectionReason(update: Promise<unknown>): Promise<string> {
    const error = await update.then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(error instanceof WorkflowUpdateFailedError))
      throw new Error(`expected a rejected Update, got ${String(error)}`);
    return error.cause?.message ?? '';
  }

  /** Skips time, due date by due date as the workflow reports them, until `n` charges are recorded. */
  async function untilCharges(handle: WorkflowHandle, id: string, n: number): Promise<void> {
    for (let i = 0; i < 50 && (await ledger(id)).length < n; i++) {
      const state = await handle.query(statusQuery);
      const due = state.dunning?.retryAt ?? state.nextChargeAt;
      if (due === null) throw new Error(`no charge is due (status ${state.status})`);
      await env.sleep(Math.max(new Date(due).getTime() - (await env.currentTimeMs()), 0) + 60_000);
    }
    expect(await ledger(id)).toHaveLength(n);
  }

  it('charges 13 times in a skipped year on calendar-correct dates from a Jan 31 anchor', async () => {
    const i = await input({ maxPeriods: 13 });
    const handle = await start(i);
    const result = (await handle.result()) as SubscriptionResult;
    expect(result).toEqual({ status: 'completed', periodsBilled: 13, reason: 'max_periods' });
    const charges = await ledger(i.subscriptionId);
    const schedule = { anchorAt: new Date(i.startAt), timeZone: 'UTC', interval: i.interval };
    expect(charges.map((c) => day(c.occurredAt))).toEqual(
      Array.from({ length: 13 }, (_, k) => day(chargeAt(schedule, k + 1))),
    );
    const year = new Date(i.startAt).getUTCFullYear();
    const feb = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? '02-29' : '02-28';
    expect(
      charges
        .map((c) => day(c.occurredAt))
        .slice(0, 4)
        .map((d) => d.slice(5)),
    ).toEqual(['01-31', feb, '03-31', '04-30']);
    expect(charges.every((c) => c.outcome === 'succeeded' && c.attempt === 1)).toBe(true);
    // One gateway charge per period, under the period's idempotency key.
    for (let n = 1; n <= 13; n++)
      await expect(repo.payments.get(`${i.subscriptionId}:${n}`)).resolves.toMatchObject({
        status: 'succeeded',
      });
    expect((await emails(i.customerId)).filter((t) => t === 'receipt')).toHaveLength(13);
    expect(await emails(i.customerId)).toContain('subscription_ended');
    await expect(repo.subscriptions.get(i.subscriptionId)).resolves.toMatchObject({
      status: 'completed',
      periodsBilled: 13,
      nextChargeAt: null,
    });
  });

  it.each([
    ['week', ['01-31', '02-07', '02-14']],
    ['year', ['01-31', '01-31', '01-31']],
  ] as const)('bills %sly intervals', async (unit, expected) => {
    const i = await input({ interval: { unit, count: 1 }, maxPeriods: 3 });
    await (await start(i)).result();
    expect((await ledger(i.subscriptionId)).map((c) => day(c.occurredAt).slice(5))).toEqual(
      expected,
    );
  });

  it('cancel during the trial: a "trial canceled" email and never a charge', async () => {
    const i = await input({ trialDays: 14 });
    const handle = await start(i);
    await env.sleep('3 days');
    await expect(handle.query(statusQuery)).resolves.toMatchObject({ status: 'trialing' });
    const { effectiveAt } = await handle.executeUpdate(cancelUpdate, {
      args: [{ mode: 'at_period_end' }],
    });
    expect(new Date(effectiveAt).getTime()).toBeLessThan(
      new Date(i.startAt).getTime() + 14 * 86_400_000,
    );
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 0 });
    expect(await ledger(i.subscriptionId)).toEqual([]);
    expect(await emails(i.customerId)).toEqual(['trial_canceled']);
  });

  it('cancel now mid-period (the original signal): stops at once, one email, no further charge', async () => {
    const i = await input();
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    await env.sleep('10 days');
    await handle.signal(cancelSignal);
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 1 });
    await env.sleep('60 days');
    expect(await ledger(i.subscriptionId)).toHaveLength(1);
    expect(await emails(i.customerId)).toEqual(['canceled', 'receipt']);
  });

  it('cancel at period end: runs out the paid period, charges nothing after, rejects a second cancel', async () => {
    const i = await input();
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    await env.sleep('10 days');
    const { effectiveAt } = await handle.executeUpdate(cancelUpdate, {
      args: [{ mode: 'at_period_end', reason: 'too_expensive' }],
    });
    // The end of the paid period: Feb 28, or Feb 29 in a leap year.
    expect(effectiveAt).toBe(
      chargeAt(
        { anchorAt: new Date(i.startAt), timeZone: 'UTC', interval: i.interval },
        2,
      ).toISOString(),
    );
    expect(day(new Date(effectiveAt)).slice(5, 7)).toBe('02');
    expect(
      await rejectionReason(
        handle.executeUpdate(cancelUpdate, { args: [{ mode: 'at_period_end' }] }),
      ),
    ).toMatch(/already set to cancel/);
    await expect(handle.query(statusQuery)).resolves.toMatchObject({
      status: 'active',
      cancel: { mode: 'at_period_end', reason: 'too_expensive' },
    });
    await expect(handle.result()).resolves.toEqual({
      status: 'canceled',
      periodsBilled: 1,
      reason: 'too_expensive',
    });
    expect(await ledger(i.subscriptionId)).toHaveLength(1);
    expect(await emails(i.customerId)).toEqual(['canceled', 'receipt']);
    await expect(handle.executeUpdate(cancelUpdate, { args: [{ mode: 'now' }] })).rejects.toThrow();
  });

  it('cancel at the end of the last period charges nothing more', async () => {
    const i = await input({ maxPeriods: 3 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 2);
    await handle.executeUpdate(cancelUpdate, { args: [{ mode: 'at_period_end' }] });
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 2 });
    expect(await emails(i.customerId)).not.toContain('subscription_ended');
  });

  it('a price change applies from the next period and returns its number', async () => {
    const i = await input({ maxPeriods: 3 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    const { fromPeriod } = await handle.executeUpdate(changePriceUpdate, {
      args: [{ price: { amountMinor: 2999, currency: 'USD' } }],
    });
    expect(fromPeriod).toBe(2);
    await handle.result();
    expect((await ledger(i.subscriptionId)).map((c) => c.amount.amountMinor)).toEqual([
      1999, 2999, 2999,
    ]);
  });

  it('pause stops charging; resume bills again from the next anchor date after it', async () => {
    const i = await input({ maxPeriods: 2 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    await env.sleep('5 days');
    await expect(handle.executeUpdate(pauseUpdate)).resolves.toMatchObject({ status: 'paused' });
    await env.sleep('70 days');
    expect(await ledger(i.subscriptionId)).toHaveLength(1);
    const { nextChargeAt } = await handle.executeUpdate(resumeUpdate);
    await handle.result();
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => c.period)).toEqual([1, 4]); // periods 2 and 3 fell inside the pause
    expect(day(charges[1]?.occurredAt ?? new Date(0))).toBe(day(new Date(nextChargeAt ?? 0)));
  });

  it('dunning that recovers: declined, past_due, retried a day later, active again', async () => {
    const i = await input({ paymentMethod: 'pm_card_declined_once', maxPeriods: 2 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    await expect(handle.query(statusQuery)).resolves.toMatchObject({
      status: 'past_due',
      dunning: { period: 1, attempt: 2 },
    });
    await handle.result();
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => [c.period, c.attempt, c.outcome])).toEqual([
      [1, 1, 'declined'],
      [1, 2, 'succeeded'],
      [2, 1, 'declined'],
      [2, 2, 'succeeded'],
    ]);
    expect(day(charges[1]?.occurredAt ?? new Date(0))).toBe(
      day(new Date(new Date(i.startAt).getTime() + 86_400_000)),
    );
    expect((await emails(i.customerId)).filter((t) => t === 'payment_failed')).toHaveLength(2);
  });

  it('dunning exhausted (+1, +3, +5, +7 days): canceled as unpaid, every attempt in the ledger', async () => {
    const i = await input({ paymentMethod: 'pm_card_insufficient_funds' });
    const handle = await start(i);
    await expect(handle.result()).resolves.toEqual({
      status: 'canceled',
      periodsBilled: 0,
      reason: 'unpaid',
    });
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => [c.attempt, c.outcome, c.failureCode])).toEqual(
      [1, 2, 3, 4, 5].map((a) => [a, 'declined', 'insufficient_funds']),
    );
    const start0 = new Date(i.startAt).getTime();
    expect(charges.map((c) => Math.round((c.occurredAt.getTime() - start0) / 86_400_000))).toEqual([
      0, 1, 4, 9, 16,
    ]);
    expect(await emails(i.customerId)).toEqual([
      'canceled_unpaid',
      ...Array.from({ length: 4 }, () => 'payment_failed'),
    ]);
  });

  it('a provider down for the whole 12 h retry window is a failed attempt, dunned like a decline', async () => {
    const i = await input({ paymentMethod: 'pm_card_outage', dunningDays: [1] });
    const handle = await start(i);
    await expect(handle.result()).resolves.toEqual({
      status: 'canceled',
      periodsBilled: 0,
      reason: 'unpaid',
    });
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => [c.period, c.attempt, c.outcome, c.failureCode])).toEqual([
      [1, 1, 'failed', 'PaymentUnavailableError'],
      [1, 2, 'failed', 'PaymentUnavailableError'],
    ]);
    // Each attempt gave up after its 12 h window, inside the provider's 24 h key retention.
    const start0 = new Date(i.startAt).getTime();
    expect(Math.round((charges[0]?.occurredAt.getTime() ?? 0) - start0) / 3_600_000).toBeCloseTo(
      12,
      0,
    );
    await expect(repo.payments.get(`${i.subscriptionId}:1`)).rejects.toThrow('not found');
  });

  it('continue-as-new carries the state across runs, and a cancel arriving around it takes effect once', async () => {
    const i = await input({ interval: { unit: 'day', count: 1 }, periodsPerRun: 1 });
    const handle = await start(i);
    const firstRun = (await handle.describe()).runId;
    await untilCharges(handle, i.subscriptionId, 3);
    await handle.signal(cancelSignal);
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled' });
    expect((await handle.describe()).runId).not.toBe(firstRun);
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => c.period)).toEqual(charges.map((_, k) => k + 1)); // none doubled, none skipped
    expect((await emails(i.customerId)).filter((t) => t === 'canceled')).toHaveLength(1);
  });

  it('each successful charge earns loyalty points once, with the charge key as purchaseId', async () => {
    const i = await input({ paymentMethod: 'pm_card_declined_once', maxPeriods: 2 });
    await (await start(i)).result();
    const loyalty = env.client.workflow.getHandle(loyaltyWorkflowId(i.customerId));
    let points = await loyalty.query(getPointsQuery);
    for (let n = 0; n < 50 && points.lifetimePoints < 2 * 1999; n++) {
      await env.sleep('1 second');
      points = await loyalty.query(getPointsQuery);
    }
    expect(points).toMatchObject({ balance: 2 * 1999, lifetimePoints: 2 * 1999 });
    // Only the successful attempts (the retries) earn points; the declines do not.
    expect(points.recentPurchases.map((p) => p.purchaseId)).toEqual([
      `${i.subscriptionId}:1:2`,
      `${i.subscriptionId}:2:2`,
    ]);
  });

  it('validators reject bad input with a reason and leave the state unchanged', async () => {
    const i = await input();
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    const before = await handle.query(statusQuery);
    const attempts: [string, () => Promise<unknown>, RegExp][] = [
      [
        'cancel mode',
        () => handle.executeUpdate(cancelUpdate, { args: [{ mode: 'later' as 'now' }] }),
        /mode must be/,
      ],
      [
        'negative price',
        () =>
          handle.executeUpdate(changePriceUpdate, {
            args: [{ price: { amountMinor: -5, currency: 'USD' } }],
          }),
        /positive whole number/,
      ],
      [
        'fractional price',
        () =>
          handle.executeUpdate(changePriceUpdate, {
            args: [{ price: { amountMinor: 19.99, currency: 'USD' } }],
          }),
        /positive whole number/,
      ],
      [
        'other currency',
        () =>
          handle.executeUpdate(changePriceUpdate, {
            args: [{ price: { amountMinor: 100, currency: 'EUR' } }],
          }),
        /must stay USD/,
      ],
      [
        'resume an active one',
        () => handle.executeUpdate(resumeUpdate),
        /only a paused subscription/,
      ],
    ];
    for (const [what, attempt, reason] of attempts) {
      // The label makes a failure name the case.
      expect(`${what}: ${await rejectionReason(attempt())}`).toMatch(
        new RegExp(`^${what}: .*${reason.source}`),
      );
    }
    await expect(handle.query(statusQuery)).resolves.toEqual(before);
    await handle.signal(cancelSignal);
    await handle.result();
  });
});
