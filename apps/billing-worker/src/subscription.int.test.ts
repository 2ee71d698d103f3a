import {
  createBillingActivities,
  createOutboxCourier,
  createLoyaltyActivities,
  createLoyaltyNotifier,
  createOutboxMailer,
  createSandboxGateway,
  PaymentUnavailableError,
  type PaymentGateway,
} from '@invincible/activities';
import type { ChargeEntry, SubscriptionsPort } from '@invincible/astra-repo';
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
  PAYLOAD_CONVERTER_SOURCE,
  INVALID_SUBSCRIPTION_INPUT,
  type BillingActivities,
} from '@invincible/workflows';
import {
  createTimeSkippingEnv,
  LEGACY_BILLING_WORKFLOWS_FIXTURE,
} from '@invincible/workflows/testing';
import {
  WorkflowFailedError,
  WorkflowUpdateFailedError,
  type WorkflowHandle,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** A point a test holds an activity at: `entered` once it is reached, `release()` to go on. */
interface Gate {
  readonly entered: Promise<void>;
  release(): void;
}

function newGate(): Gate & { arrive(): Promise<void> } {
  let arrived!: () => void;
  let release!: () => void;
  const entered = new Promise<void>((resolve) => (arrived = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  return {
    entered,
    release,
    arrive: () => {
      arrived();
      return released;
    },
  };
}

/**
 * What the defect tests control, by key: charges held in flight (by idempotency key), charges
 * that apply and then never answer (by subscription id), projection saves held (by subscription
 * id and the save's number).
 */
const held = new Map<string, ReturnType<typeof newGate>>();
const ambiguous = new Set<string>();
/** Subscriptions whose provider is down: their charge stays in flight, retried, while periods fall due. */
const outage = new Set<string>();
const heldSaves = new Map<string, ReturnType<typeof newGate>>();
const saveCounts = new Map<string, number>();

function controlledGateway(inner: PaymentGateway): PaymentGateway {
  return {
    async charge(request) {
      await held.get(request.idempotencyKey)?.arrive();
      if (outage.has(request.idempotencyKey.split(':')[0] ?? ''))
        throw new PaymentUnavailableError('provider down');
      if (ambiguous.has(request.idempotencyKey.split(':')[0] ?? '')) {
        await inner.charge(request); // applied at the provider…
        throw new PaymentUnavailableError('timed out after the provider applied it'); // …answer lost
      }
      return inner.charge(request);
    },
    lookup: (request) => inner.lookup(request),
  };
}

function controlledSubscriptions(inner: SubscriptionsPort): SubscriptionsPort {
  return {
    async save(projection) {
      const n = (saveCounts.get(projection.id) ?? 0) + 1;
      saveCounts.set(projection.id, n);
      await heldSaves.get(`${projection.id}#${n}`)?.arrive();
      return inner.save(projection);
    },
    get: (id) => inner.get(id),
    listByCustomer: (customerId, page) => inner.listByCustomer(customerId, page),
    listByTenant: (tenantId, page) => inner.listByTenant(tenantId, page),
    scan: (page) => inner.scan(page),
  };
}

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
  let bundle: WorkflowBundleWithSourceMap;
  let activities: BillingActivities;
  const dataConverter = { payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE) };

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    repo = createInMemoryRepository();
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      payloadConverterPath: dataConverter.payloadConverterPath,
    });
    activities = createBillingActivities({
      repository: {
        charges: repo.charges,
        subscriptions: controlledSubscriptions(repo.subscriptions),
      },
      payments: controlledGateway(createSandboxGateway({ payments: repo.payments })),
      mailer: createOutboxMailer({ outbox: repo.outbox }),
      loyalty: createLoyaltyNotifier(env.client.workflow),
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: BILLING_TASK_QUEUE,
      workflowBundle: bundle,
      dataConverter,
      activities,
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

  async function start(
    i: SubscriptionInput,
    taskQueue = BILLING_TASK_QUEUE,
  ): Promise<WorkflowHandle> {
    return env.client.workflow.start('subscription', {
      taskQueue,
      workflowId: subscriptionWorkflowId(i.subscriptionId),
      args: [i],
    });
  }

  const instant = (i: SubscriptionInput, n: number) =>
    chargeAt({ anchorAt: new Date(i.startAt), timeZone: i.timeZone, interval: i.interval }, n);

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
    // The provider never saw the key: the lookup voided it before the next key was used.
    await expect(repo.payments.get(`${i.subscriptionId}:1`)).resolves.toMatchObject({
      status: 'declined',
      declineCode: 'voided_unknown_outcome',
    });
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

  // ---- issue #13: each defect, reproduced ----

  /**
   * A lagging loop: the provider goes down after period 1, so period 2's charge stays in flight
   * (retried under its key) while the next periods fall due with nobody to charge them — what a
   * loaded worker does to a subscription, in skipped time.
   */
  async function lagAfterFirstCharge(i: SubscriptionInput): Promise<WorkflowHandle> {
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    outage.add(i.subscriptionId);
    return handle;
  }
  const HOUR = 3_600_000;
  const sleepUntil = async (t: number) => env.sleep(Math.max(t - (await env.currentTimeMs()), 0));

  it('defect 1: cancel now during a lag charges the periods that fell due before it', async () => {
    const i = await input({ interval: { unit: 'hour', count: 1 } });
    const handle = await lagAfterFirstCharge(i);
    await sleepUntil(instant(i, 6).getTime() + HOUR / 2); // 2 in flight; 3–6 due, uncharged
    await handle.signal(cancelSignal);
    const canceledAt = await env.currentTimeMs();
    outage.delete(i.subscriptionId);
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 6 });
    const charges = await ledger(i.subscriptionId);
    expect(charges.map((c) => [c.period, c.outcome])).toEqual(
      [1, 2, 3, 4, 5, 6].map((n) => [n, 'succeeded']),
    );
    expect(charges.every((c) => instant(i, c.period).getTime() < canceledAt)).toBe(true);
    expect((await emails(i.customerId)).filter((t) => t === 'canceled')).toHaveLength(1);
  });

  it('defect 2: cancel at period end during a lag answers the end of the current period, never a past instant', async () => {
    const i = await input({ interval: { unit: 'hour', count: 1 } });
    const handle = await lagAfterFirstCharge(i);
    await sleepUntil(instant(i, 4).getTime() + HOUR / 2); // 2 in flight; 3 and 4 due
    const requestedAt = await env.currentTimeMs();
    const { effectiveAt } = await handle.executeUpdate(cancelUpdate, {
      args: [{ mode: 'at_period_end' }],
    });
    outage.delete(i.subscriptionId);
    expect(new Date(effectiveAt).getTime()).toBeGreaterThan(requestedAt);
    expect(effectiveAt).toBe(instant(i, 5).toISOString());
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 4 });
    // Periods 2–4 had begun: owed and charged; nothing from the effective instant on.
    expect((await ledger(i.subscriptionId)).map((c) => c.period)).toEqual([1, 2, 3, 4]);
  });

  it('defect 3: a price change while a period is in flight names the next period', async () => {
    const i = await input({ maxPeriods: 3 });
    const handle = await start(i);
    const gate = newGate();
    held.set(`${i.subscriptionId}:2`, gate);
    await untilCharges(handle, i.subscriptionId, 1);
    // Exactly to the instant: once the charge is held, time no longer skips (it is in flight).
    await sleepUntil(instant(i, 2).getTime() + 1);
    await gate.entered; // period 2's charge is in flight at the old price
    const { fromPeriod } = await handle.executeUpdate(changePriceUpdate, {
      args: [{ price: { amountMinor: 2999, currency: 'USD' } }],
    });
    gate.release();
    expect(fromPeriod).toBe(3);
    await handle.result();
    expect((await ledger(i.subscriptionId)).map((c) => [c.period, c.amount.amountMinor])).toEqual([
      [1, 1999],
      [2, 1999],
      [3, 2999],
    ]);
  });

  it('defect 4: resume skips only periods due inside the pause; those due before it are charged', async () => {
    const i = await input({ interval: { unit: 'hour', count: 1 }, maxPeriods: 5 });
    const handle = await lagAfterFirstCharge(i);
    await sleepUntil(instant(i, 3).getTime() + HOUR / 2); // 2 in flight, 3 due
    await handle.executeUpdate(pauseUpdate);
    outage.delete(i.subscriptionId);
    await sleepUntil(instant(i, 6).getTime() + HOUR / 2); // 4, 5 and 6 fall inside the pause
    const { nextChargeAt } = await handle.executeUpdate(resumeUpdate);
    await handle.result();
    expect((await ledger(i.subscriptionId)).map((c) => c.period)).toEqual([1, 2, 3, 7, 8]);
    expect(nextChargeAt).toBe(instant(i, 7).toISOString());
  });

  it('defect 5: an attempt whose window ran out on timeouts is looked up by its key, never charged again', async () => {
    const i = await input({ maxPeriods: 1 });
    ambiguous.add(i.subscriptionId);
    await expect((await start(i)).result()).resolves.toMatchObject({
      status: 'completed',
      periodsBilled: 1,
    });
    ambiguous.delete(i.subscriptionId);
    expect((await ledger(i.subscriptionId)).map((c) => [c.period, c.attempt, c.outcome])).toEqual([
      [1, 1, 'succeeded'],
    ]);
    await expect(repo.payments.get(`${i.subscriptionId}:1`)).resolves.toMatchObject({
      status: 'succeeded',
    });
    await expect(repo.payments.get(`${i.subscriptionId}:1:2`)).rejects.toThrow('not found');
  });

  it('defect 6: a cancel that arrives while the last publish before continue-as-new runs is not lost', async () => {
    const i = await input({ periodsPerRun: 1 });
    const second = newGate();
    const third = newGate();
    heldSaves.set(`${i.subscriptionId}#2`, second);
    heldSaves.set(`${i.subscriptionId}#3`, third);
    const handle = await start(i);
    await sleepUntil(instant(i, 1).getTime() + 1);
    await second.entered; // the projection after period 1 is being saved
    await handle.executeUpdate(changePriceUpdate, {
      args: [{ price: { amountMinor: 2999, currency: 'USD' } }],
    });
    second.release();
    await third.entered; // the save of that change, just before continue-as-new
    const { effectiveAt } = await handle.executeUpdate(cancelUpdate, {
      args: [{ mode: 'at_period_end' }],
    });
    third.release();
    await expect(handle.result()).resolves.toMatchObject({ status: 'canceled', periodsBilled: 1 });
    const canceled = (await repo.outbox.listByCustomer(i.customerId, { limit: 100 })).items.filter(
      (e) => e.template === 'canceled',
    );
    expect(canceled).toHaveLength(1);
    expect(canceled[0]?.body).toContain(effectiveAt);
    await expect(repo.subscriptions.get(i.subscriptionId)).resolves.toMatchObject({
      status: 'canceled',
      cancelEffectiveAt: new Date(effectiveAt),
    });
  });

  it('defect 8: an undecodable or malformed cancel signal is counted and rejected; billing goes on', async () => {
    const i = await input({ maxPeriods: 3 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    const bytes = (text: string) => new TextEncoder().encode(text);
    await env.client.workflowService.signalWorkflowExecution({
      namespace: env.client.options.namespace,
      workflowExecution: { workflowId: handle.workflowId },
      signalName: cancelSignal.name,
      input: { payloads: [{ metadata: { encoding: bytes('text/weird') }, data: bytes('?') }] },
      identity: 'defect-8',
    });
    await handle.signal<[unknown]>(cancelSignal.name, { mode: 'now' });
    await expect(handle.result()).resolves.toMatchObject({ status: 'completed', periodsBilled: 3 });
    const state = await handle.query(statusQuery);
    expect(state.rejected).toEqual({ undecodable: 1, malformed: 1, unknown: 0 });
  });

  it('defect 8: a subscription started without valid input fails at once with a typed failure', async () => {
    const i = await input();
    const bad = { ...i, price: { amountMinor: -1, currency: 'usd' } };
    const failure = async (workflowId: string, args: unknown) =>
      env.client.workflow
        .start('subscription', { taskQueue: BILLING_TASK_QUEUE, workflowId, args: [args] })
        .then((h) => h.result())
        .then(
          () => undefined,
          (e: unknown) => e,
        );
    for (const [workflowId, args, reason] of [
      [subscriptionWorkflowId(i.subscriptionId), bad, /price.amountMinor.*price.currency/],
      [`not-${subscriptionWorkflowId(i.subscriptionId)}`, i, /workflow id must be/],
      [`subscription:nothing-${seq}`, null, /input must be an object/],
    ] as const) {
      const error = await failure(workflowId, args);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause;
      expect(cause).toBeInstanceOf(ApplicationFailure);
      expect((cause as ApplicationFailure).type).toBe(INVALID_SUBSCRIPTION_INPUT);
      expect((cause as ApplicationFailure).nonRetryable).toBe(true);
      expect(cause?.message).toMatch(reason);
    }
    expect(await ledger(i.subscriptionId)).toEqual([]);
  });

  it('defect 10: cancel at period end, then now: two emails, the later one with the right date', async () => {
    const i = await input();
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    await env.sleep('3 days');
    await handle.executeUpdate(cancelUpdate, { args: [{ mode: 'at_period_end' }] });
    await env.sleep('2 days');
    const { effectiveAt } = await handle.executeUpdate(cancelUpdate, { args: [{ mode: 'now' }] });
    await handle.result();
    const canceled = (await repo.outbox.listByCustomer(i.customerId, { limit: 100 })).items.filter(
      (e) => e.template === 'canceled',
    );
    expect(canceled).toHaveLength(2);
    expect(canceled[0]?.body).toContain(effectiveAt); // newest first
    expect(canceled[1]?.body).toContain(instant(i, 2).toISOString());
  });

  it('defect 11: during dunning nextChargeAt is the retry instant; defect 12: the policy is pinned', async () => {
    const i = await input({ paymentMethod: 'pm_card_declined_once', maxPeriods: 1 });
    const handle = await start(i);
    await untilCharges(handle, i.subscriptionId, 1);
    const state = await handle.query(statusQuery);
    expect(state.status).toBe('past_due');
    expect(state.nextChargeAt).toBe(state.dunning?.retryAt);
    expect(new Date(state.nextChargeAt ?? 0).getTime()).toBeGreaterThan(await env.currentTimeMs());
    expect(state.policy).toEqual({ dunningDays: [1, 3, 5, 7], periodsPerRun: 12 });
    await handle.result();
  });

  it('defect 7: charges go on while SMTP is down; the courier delivers the backlog when it is back, 5xx recorded', async () => {
    let smtpUp = false;
    const delivered: string[] = [];
    const courier = createOutboxCourier({
      outbox: repo.outbox,
      retryDelaysMs: [0],
      batch: 500,
      deliver: (e) => {
        if (e.to === 'bounce@example.com')
          return Promise.reject(
            Object.assign(new Error('550 no such mailbox'), { responseCode: 550 }),
          );
        if (!smtpUp) return Promise.reject(new Error('connect ECONNREFUSED'));
        delivered.push(e.id);
        return Promise.resolve();
      },
    });
    const i = await input({ maxPeriods: 3 });
    const bounce = await input({ maxPeriods: 1, customerEmail: 'bounce@example.com' });
    await courier.sweep(); // SMTP down from the start
    await expect((await start(i)).result()).resolves.toMatchObject({ periodsBilled: 3 });
    await expect((await start(bounce)).result()).resolves.toMatchObject({ periodsBilled: 1 });
    expect(await ledger(i.subscriptionId)).toHaveLength(3); // billing never waited for SMTP
    await courier.sweep();
    const ours = async () =>
      (await repo.outbox.listByCustomer(i.customerId, { limit: 100 })).items.map((e) => e.status);
    expect(await ours()).toEqual(['pending', 'pending', 'pending', 'pending']);
    await expect(
      repo.outbox.listByCustomer(bounce.customerId, { limit: 100 }),
    ).resolves.toMatchObject({
      items: [
        { status: 'failed', failure: expect.stringContaining('550') as unknown },
        { status: 'failed', failure: expect.stringContaining('550') as unknown },
      ],
    });
    smtpUp = true;
    await courier.sweep();
    expect(await ours()).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(delivered.filter((id) => id.startsWith(`${i.subscriptionId}:`))).toHaveLength(4);
    await courier.stop();
  });

  it('a running pre-patch execution moves to the new loop at its next turn, charging each period once', async () => {
    const i = await input({ interval: { unit: 'day', count: 1 } });
    const taskQueue = `legacy-${i.subscriptionId}`;
    const before = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: LEGACY_BILLING_WORKFLOWS_FIXTURE,
      dataConverter,
      activities,
      // No sticky queue: once this worker is gone, the execution's tasks go to the shared queue.
      maxCachedWorkflows: 0,
    });
    const [handle, legacyRun] = await before.runUntil(async () => {
      const h = await start(i, taskQueue);
      await untilCharges(h, i.subscriptionId, 1);
      expect((await h.query(statusQuery)).policy).toBeUndefined(); // the legacy loop
      return [h, (await h.describe()).runId] as const;
    });
    // The deploy: the current code takes over the running execution.
    const after = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: bundle,
      dataConverter,
      activities,
    });
    await after.runUntil(async () => {
      await untilCharges(handle, i.subscriptionId, 3);
      const state = await handle.query(statusQuery);
      expect(state.policy).toEqual({ dunningDays: [1, 3, 5, 7], periodsPerRun: 12 });
      expect((await handle.describe()).runId).not.toBe(legacyRun);
      await handle.signal(cancelSignal);
      await expect(handle.result()).resolves.toMatchObject({
        status: 'canceled',
        periodsBilled: 3,
      });
    });
    expect((await ledger(i.subscriptionId)).map((c) => [c.period, c.attempt])).toEqual([
      [1, 1],
      [2, 1],
      [3, 1],
    ]);
    expect((await emails(i.customerId)).filter((t) => t === 'receipt')).toHaveLength(3);
  });
});
