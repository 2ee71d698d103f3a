import { ConflictError } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { PaymentUnavailableError } from './payment-gateway';
import { createSandboxGateway, VOIDED_DECLINE_CODE } from './sandbox-gateway';

const request = (paymentMethod: string, idempotencyKey = 'sub-1:1') => ({
  idempotencyKey,
  customerId: 'cus-1',
  paymentMethod,
  amount: { amountMinor: 1999, currency: 'USD' },
});

describe('the sandbox payment gateway', () => {
  it('approves a test card, and answers a repeated key with the first result without charging again', async () => {
    const repo = createInMemoryRepository();
    const gateway = createSandboxGateway({ payments: repo.payments });
    const first = await gateway.charge(request('pm_card_visa'));
    expect(first.status).toBe('succeeded');
    expect(first.providerRef).toMatch(/^ch_sandbox_[0-9a-f]{20}$/);
    await expect(gateway.charge(request('pm_card_visa'))).resolves.toEqual(first);
    await expect(repo.payments.get('sub-1:1')).resolves.toMatchObject({ status: 'succeeded' });
  });

  it.each([
    ['pm_card_declined', 'card_declined'],
    ['pm_card_insufficient_funds', 'insufficient_funds'],
    ['pm_card_unknown', 'invalid_payment_method'],
  ])('declines %s as %s (a result, not an error)', async (method, declineCode) => {
    const gateway = createSandboxGateway({ payments: createInMemoryRepository().payments });
    await expect(gateway.charge(request(method))).resolves.toMatchObject({
      status: 'declined',
      declineCode,
    });
  });

  it('declines first attempts of pm_card_declined_once and approves its retries', async () => {
    const gateway = createSandboxGateway({ payments: createInMemoryRepository().payments });
    await expect(
      gateway.charge(request('pm_card_declined_once', 'sub-1:3')),
    ).resolves.toMatchObject({ status: 'declined' });
    await expect(
      gateway.charge(request('pm_card_declined_once', 'sub-1:3:2')),
    ).resolves.toMatchObject({ status: 'succeeded' });
  });

  it('an outage (or the configured failure rate) throws a transient error and stores nothing', async () => {
    const repo = createInMemoryRepository();
    await expect(
      createSandboxGateway({ payments: repo.payments }).charge(request('pm_card_outage')),
    ).rejects.toBeInstanceOf(PaymentUnavailableError);
    const flaky = createSandboxGateway({
      payments: repo.payments,
      failureRate: 0.5,
      random: () => 0.2,
    });
    await expect(flaky.charge(request('pm_card_visa'))).rejects.toBeInstanceOf(
      PaymentUnavailableError,
    );
    await expect(repo.payments.get('sub-1:1')).rejects.toThrow('not found');
  });

  it('refuses to reuse a key for a different charge', async () => {
    const gateway = createSandboxGateway({ payments: createInMemoryRepository().payments });
    await gateway.charge(request('pm_card_visa'));
    await expect(
      gateway.charge({ ...request('pm_card_visa'), amount: { amountMinor: 1, currency: 'USD' } }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('lookup answers what a key charged; an unknown key is voided, so a late charge under it cannot charge', async () => {
    const repo = createInMemoryRepository();
    const gateway = createSandboxGateway({ payments: repo.payments });
    const charged = await gateway.charge(request('pm_card_visa', 'sub-1:1'));
    await expect(gateway.lookup(request('pm_card_visa', 'sub-1:1'))).resolves.toEqual(charged);
    await expect(gateway.lookup(request('pm_card_visa', 'sub-1:2'))).resolves.toEqual({
      status: 'not_found',
    });
    // Asked again (the first answer lost): still not found, never a decline.
    await expect(gateway.lookup(request('pm_card_visa', 'sub-1:2'))).resolves.toEqual({
      status: 'not_found',
    });
    // The timed-out request arriving after the lookup: answered with the void, nothing charged.
    await expect(gateway.charge(request('pm_card_visa', 'sub-1:2'))).resolves.toMatchObject({
      status: 'declined',
      declineCode: VOIDED_DECLINE_CODE,
    });
  });
});
