import type { OutboxEmail } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { createOutboxMailer } from './mailer';

const email = {
  id: 'sub-1:receipt:1',
  customerId: 'cus-1',
  to: 'ada@example.com',
  template: 'receipt',
  subject: 'Receipt',
  body: 'Thanks',
};

describe('the outbox mailer', () => {
  it('writes each email id to the outbox once; without a delivery channel it stays pending', async () => {
    const repo = createInMemoryRepository();
    const mailer = createOutboxMailer({ outbox: repo.outbox });
    await mailer.send(email);
    await mailer.send({ ...email, subject: 'Changed' });
    const page = await repo.outbox.listByCustomer('cus-1');
    expect(page.items).toEqual([
      expect.objectContaining({ id: email.id, subject: 'Receipt', status: 'pending' }),
    ]);
  });

  it('delivers once and marks sent; a failed delivery leaves it pending for the retry', async () => {
    const repo = createInMemoryRepository();
    const delivered: OutboxEmail[] = [];
    let failNext = true;
    const mailer = createOutboxMailer({
      outbox: repo.outbox,
      deliver: (e) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(new Error('SMTP 421'));
        }
        delivered.push(e);
        return Promise.resolve();
      },
    });
    await expect(mailer.send(email)).rejects.toThrow('SMTP 421');
    await expect(repo.outbox.get(email.id)).resolves.toMatchObject({ status: 'pending' });
    await expect(mailer.send(email)).resolves.toMatchObject({ status: 'sent' });
    await mailer.send(email);
    expect(delivered).toHaveLength(1);
  });
});
