import { createRepository } from '@invincible/astra-repo';
import { createDataApiEmulator, createInMemoryRepository } from '@invincible/astra-repo/testing';
import type { SubscriptionState } from '@invincible/workflows';
import { ApplicationFailure } from '@temporalio/common';
import { createOutboxMailer } from '../mail/mailer';
import { createBillingActivities } from './create-billing-activities';
import { createSandboxGateway } from './sandbox-gateway';

function setup() {
  const repo = createInMemoryRepository();
  const activities = createBillingActivities({
    repository: repo,
    payments: createSandboxGateway({ payments: repo.payments }),
    mailer: createOutboxMailer({ outbox: repo.outbox }),
    loyalty: { notifyPurchase: () => Promise.resolve() },
    now: () => new Date('2027-01-31T09:00:05Z'),
  });
  return { repo, activities };
}

const state: SubscriptionState = {
  status: 'active',
  price: { amountMinor: 1999, currency: 'USD' },
  pendingPrice: null,
  anchorAt: '2027-01-31T09:00:00.000Z',
  trialEndsAt: null,
  periodsBilled: 1,
  nextPeriod: 2,
  nextChargeAt: '2027-02-28T09:00:00.000Z',
  dunning: null,
  lastCharge: null,
  pausedAt: null,
  cancel: null,
  version: 3,
};

describe('billing activities', () => {
  it('saveSubscription projects the workflow state, versioned', async () => {
    const { repo, activities } = setup();
    await activities.saveSubscription({
      subscriptionId: 'sub-1',
      customerId: 'cus-1',
      interval: { unit: 'month', count: 1 },
      timeZone: 'UTC',
      state,
    });
    await activities.saveSubscription({
      subscriptionId: 'sub-1',
      customerId: 'cus-1',
      interval: { unit: 'month', count: 1 },
      timeZone: 'UTC',
      state: { ...state, version: 2, periodsBilled: 0 },
    });
    await expect(repo.subscriptions.get('sub-1')).resolves.toMatchObject({
      status: 'active',
      periodsBilled: 1,
      version: 3,
      nextChargeAt: new Date('2027-02-28T09:00:00.000Z'),
      updatedAt: new Date('2027-01-31T09:00:05Z'),
    });
  });

  it('on a Data API that refuses the command, saveSubscription fails at once, not retryable, with its reason', async () => {
    // As a self-managed Data API answered the range filter the first astra adapter sent
    // (recorded: INVALID_DATABASE_QUERY, family SERVER, scope DATABASE).
    const dataApi = createDataApiEmulator();
    const repository = createRepository({
      backend: 'astra',
      endpoint: 'http://127.0.0.1:8181',
      keyspace: 'activities',
      environment: 'cassandra',
      auth: { username: 'cassandra', password: 'cassandra' },
      fetcher: dataApi,
    });
    await repository.migrate();
    const activities = createBillingActivities({
      repository,
      payments: createSandboxGateway({ payments: repository.payments }),
      mailer: createOutboxMailer({ outbox: repository.outbox }),
      loyalty: { notifyPurchase: () => Promise.resolve() },
    });
    dataApi.failNext((c) => c.command === 'findOne', {
      errorCode: 'INVALID_DATABASE_QUERY',
      family: 'SERVER',
      scope: 'DATABASE',
      title: 'Invalid database query',
      message: 'Only EQ relations are supported on map entries',
    });
    const failure = await activities
      .saveSubscription({
        subscriptionId: 'sub-1',
        customerId: 'cus-1',
        interval: { unit: 'month', count: 1 },
        timeZone: 'UTC',
        state,
      })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({
      type: 'BackendRejectedError',
      nonRetryable: true,
      message: expect.stringMatching(/INVALID_DATABASE_QUERY.*Only EQ relations/) as unknown,
    });
  });

  it('recordCharge is idempotent by (subscription, period, attempt)', async () => {
    const { repo, activities } = setup();
    const entry = {
      subscriptionId: 'sub-1',
      customerId: 'cus-1',
      period: 1,
      attempt: 1,
      amount: { amountMinor: 1999, currency: 'USD' },
      outcome: 'succeeded' as const,
      providerRef: 'ch_1',
      failureCode: null,
      occurredAt: '2027-01-31T09:00:01.000Z',
    };
    await activities.recordCharge(entry);
    await activities.recordCharge({ ...entry, providerRef: 'ch_2' });
    expect((await repo.charges.listBySubscription('sub-1')).items).toEqual([
      { ...entry, occurredAt: new Date(entry.occurredAt) },
    ]);
  });

  it('sendEmail renders the template into the outbox', async () => {
    const { repo, activities } = setup();
    await activities.sendEmail({
      id: 'sub-1:receipt:1',
      customerId: 'cus-1',
      to: 'ada@example.com',
      template: 'receipt',
      data: { subscriptionId: 'sub-1', period: 1, amount: '19.99 USD', providerRef: 'ch_1' },
    });
    const stored = await repo.outbox.get('sub-1:receipt:1');
    expect(stored.subject).toBe('Receipt: 19.99 USD for your subscription');
    expect(stored.body).toContain('period 1 of subscription sub-1');
  });

  it('turns input the repository rejects into a non-retryable ApplicationFailure', async () => {
    const { activities } = setup();
    const failure = await activities
      .chargePayment({
        idempotencyKey: '$bad',
        customerId: 'cus-1',
        paymentMethod: 'pm_card_visa',
        amount: { amountMinor: 1, currency: 'USD' },
      })
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'ValidationError', nonRetryable: true });
  });

  it('publish enqueues the emails (once per id), then saves the projection; either may be empty', async () => {
    const { repo, activities } = setup();
    const email = {
      id: 'sub-1:receipt:1',
      customerId: 'cus-1',
      to: 'ada@example.com',
      template: 'receipt' as const,
      data: { subscriptionId: 'sub-1', period: 1, amount: '$19.99', providerRef: 'ch_1' },
    };
    const projection = {
      subscriptionId: 'sub-1',
      customerId: 'cus-1',
      interval: { unit: 'month' as const, count: 1 },
      timeZone: 'UTC',
      state,
    };
    await activities.publish({ emails: [email], projection });
    await activities.publish({ emails: [email], projection: null }); // a retry: nothing new
    await activities.publish({
      emails: [],
      projection: { ...projection, state: { ...state, version: 4 } },
    });
    const outbox = await repo.outbox.listByCustomer('cus-1');
    expect(outbox.items.map((e) => [e.id, e.status])).toEqual([['sub-1:receipt:1', 'pending']]);
    await expect(repo.subscriptions.get('sub-1')).resolves.toMatchObject({ version: 4 });
  });

  it('lookupPayment answers the stored outcome of a key, or not_found', async () => {
    const { activities } = setup();
    const request = {
      idempotencyKey: 'sub-1:1',
      customerId: 'cus-1',
      paymentMethod: 'pm_card_visa',
      amount: { amountMinor: 1999, currency: 'USD' },
    };
    await expect(activities.lookupPayment(request)).resolves.toEqual({ status: 'not_found' });
    await expect(
      activities.lookupPayment({ ...request, idempotencyKey: 'sub-1:2' }),
    ).resolves.toEqual({ status: 'not_found' });
    const charged = await activities.chargePayment({ ...request, idempotencyKey: 'sub-1:3' });
    await expect(
      activities.lookupPayment({ ...request, idempotencyKey: 'sub-1:3' }),
    ).resolves.toEqual(charged);
  });
});
