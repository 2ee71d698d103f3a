import type { OutboxEmail } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { createOutboxMailer } from './mailer';
import { createOutboxCourier } from './outbox-courier';

const email = {
  id: 'sub-1:receipt:1',
  customerId: 'cus-1',
  to: 'ada@example.com',
  template: 'receipt',
  subject: 'Receipt',
  body: 'Thanks',
};

/** An SMTP error as nodemailer reports it. */
const smtpError = (code: number) =>
  Object.assign(new Error(`${code} SMTP says no`), { responseCode: code });

describe('the outbox mailer', () => {
  it('writes each email id to the outbox once; without a delivery channel it stays pending', async () => {
    const repo = createInMemoryRepository();
    const mailer = createOutboxMailer({ outbox: repo.outbox });
    await expect(mailer.send(email)).resolves.toMatchObject({ created: true });
    await expect(mailer.send({ ...email, subject: 'Changed' })).resolves.toMatchObject({
      created: false,
      record: { subject: 'Receipt' },
    });
    const page = await repo.outbox.listByCustomer('cus-1');
    expect(page.items).toEqual([
      expect.objectContaining({ id: email.id, subject: 'Receipt', status: 'pending' }),
    ]);
  });

  it('inline: delivers once and marks sent; a transient failure leaves it pending for the retry', async () => {
    const repo = createInMemoryRepository();
    const delivered: OutboxEmail[] = [];
    let failNext = true;
    const mailer = createOutboxMailer({
      outbox: repo.outbox,
      deliver: (e) => {
        if (failNext) {
          failNext = false;
          return Promise.reject(smtpError(421));
        }
        delivered.push(e);
        return Promise.resolve();
      },
    });
    await expect(mailer.send(email)).rejects.toThrow('421');
    await expect(repo.outbox.get(email.id)).resolves.toMatchObject({ status: 'pending' });
    // The failed attempt wrote the row: its retry delivers it, and did not write it.
    await expect(mailer.send(email)).resolves.toMatchObject({
      created: false,
      record: { status: 'sent' },
    });
    await mailer.send(email);
    expect(delivered).toHaveLength(1);
  });

  it('inline: a permanent failure (SMTP 550) is recorded on the row and answered, not thrown', async () => {
    const repo = createInMemoryRepository();
    const mailer = createOutboxMailer({
      outbox: repo.outbox,
      deliver: () => Promise.reject(smtpError(550)),
    });
    await expect(mailer.send(email)).resolves.toMatchObject({
      created: true,
      record: { status: 'failed', failure: expect.stringContaining('550') as unknown },
    });
    await expect(repo.outbox.listPending(10)).resolves.toEqual([]);
  });
});

describe('the outbox courier: delivery apart from the writer', () => {
  it('send only enqueues; the courier delivers the backlog once SMTP is back, and records 5xx as failed', async () => {
    const repo = createInMemoryRepository();
    let smtpUp = false;
    const delivered: string[] = [];
    const courier = createOutboxCourier({
      outbox: repo.outbox,
      retryDelaysMs: [0],
      deliver: (e) => {
        if (e.to === 'nobody@example.com') return Promise.reject(smtpError(550));
        if (!smtpUp) return Promise.reject(Object.assign(new Error('ECONNREFUSED'), {}));
        delivered.push(e.id);
        return Promise.resolve();
      },
    });
    const mailer = createOutboxMailer({
      outbox: repo.outbox,
      courier: { notify: () => undefined },
    });
    // SMTP is down: every send still answers at once, with the row pending.
    for (let n = 1; n <= 3; n++)
      await expect(mailer.send({ ...email, id: `sub-1:receipt:${n}` })).resolves.toMatchObject({
        record: { status: 'pending' },
      });
    await mailer.send({ ...email, id: 'sub-1:receipt:bad', to: 'nobody@example.com' });
    expect(await courier.sweep()).toEqual({ sent: 0, failed: 1, deferred: 3 });
    await expect(repo.outbox.get('sub-1:receipt:bad')).resolves.toMatchObject({
      status: 'failed',
      failure: expect.stringContaining('550') as unknown,
    });
    smtpUp = true;
    expect(await courier.sweep()).toEqual({ sent: 3, failed: 0, deferred: 0 });
    expect(delivered.sort()).toEqual(['sub-1:receipt:1', 'sub-1:receipt:2', 'sub-1:receipt:3']);
    expect(await courier.sweep()).toEqual({ sent: 0, failed: 0, deferred: 0 });
    await courier.stop();
  });
});
