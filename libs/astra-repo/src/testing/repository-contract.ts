import { ConflictError, InvalidCursorError, NotFoundError, ValidationError } from '../errors';
import type {
  ApiKeyRecord,
  AuditEvent,
  ChargeEntry,
  Coupon,
  Customer,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  ProcessedPurchase,
  PurchaseSource,
  SubscriptionProjection,
  Tenant,
} from '../model/entities';
import type { Repository } from '../ports/repository';
import { exampleSubscription } from '../fixtures';

/**
 * The behaviour every backend must have, as one suite: the in-memory double, Cassandra over CQL
 * and Astra DB over the Data API all run these same tests.
 */
export function describeRepositoryContract(
  backend: string,
  open: () => Promise<{ repo: Repository; close: () => Promise<void> }>,
): void {
  describe(`repository contract: ${backend}`, () => {
    let repo: Repository;
    let close: () => Promise<void>;
    // Unique ids per run, so a live database can be reused between runs.
    const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const id = (name: string) => `${name}-${run}`;
    const at = (iso: string) => new Date(iso);

    beforeAll(async () => {
      ({ repo, close } = await open());
    }, 120_000);
    afterAll(() => close?.());

    const customer = (cid: string, name = 'Ada Lovelace'): Customer => ({
      id: cid,
      email: 'ada@example.com',
      name,
      createdAt: at('2026-01-31T10:00:00Z'),
    });
    const charge = (
      subscriptionId: string,
      period: number,
      attempt: number,
      providerRef = `ch_${period}_${attempt}`,
    ): ChargeEntry => ({
      subscriptionId,
      period,
      attempt,
      customerId: id('cus'),
      amount: { amountMinor: 1999, currency: 'USD' },
      outcome: 'succeeded',
      providerRef,
      failureCode: null,
      occurredAt: at('2026-02-28T10:00:00Z'),
    });
    const subscription = (sid: string, customerId: string, version: number) =>
      exampleSubscription(sid, customerId, version);
    const coupon = (couponId: string, customerId: string): Coupon => ({
      id: couponId,
      customerId,
      value: { amountMinor: 500, currency: 'USD' },
      status: 'issued',
      issuedAt: at('2026-03-01T00:00:00Z'),
      redeemedAt: null,
      redeemedBy: null,
    });
    const purchase = (
      customerId: string,
      purchaseId: string,
      source: PurchaseSource = 'purchase',
      points = 1250,
    ): ProcessedPurchase => ({
      customerId,
      source,
      purchaseId,
      total: { amountMinor: points, currency: 'USD' },
      points,
      processedAt: at('2026-03-01T00:00:00Z'),
      countedBy: 'run-1:1',
      requestId: `purchase:${purchaseId}`,
      balanceAfter: points,
      couponsIssued: [],
    });
    const email = (emailId: string, customerId: string, createdAt: string): OutboxEmail => ({
      id: emailId,
      customerId,
      to: 'ada@example.com',
      template: 'receipt',
      subject: 'Your receipt',
      body: 'Thank you.',
      status: 'pending',
      createdAt: at(createdAt),
      sentAt: null,
    });

    it('answers ping', async () => {
      await expect(repo.ping()).resolves.toBeUndefined();
    });

    describe('idempotent inserts', () => {
      it('re-inserting a key returns what was stored the first time, and changes nothing', async () => {
        const cid = id('cus-reinsert');
        const first = await repo.customers.create(customer(cid));
        expect(first).toEqual({ record: customer(cid), created: true });
        const again = await repo.customers.create(customer(cid, 'Someone Else'));
        expect(again).toEqual({ record: customer(cid), created: false });
        await expect(repo.customers.get(cid)).resolves.toEqual(customer(cid));
      });

      it('20 concurrent inserts of one key leave exactly one record, and every caller sees it', async () => {
        const sid = id('sub-race');
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            repo.charges.record(charge(sid, 1, 1, `ch_caller_${i}`)),
          ),
        );
        expect(results.filter((r) => r.created)).toHaveLength(1);
        const winner = results.find((r) => r.created)?.record;
        for (const r of results) expect(r.record).toEqual(winner);
        const page = await repo.charges.listBySubscription(sid);
        expect(page.items).toEqual([winner]);
      });

      it.each([
        [
          'purchases',
          async (key: string) => {
            const p = purchase(id('cus'), key);
            return [
              await repo.purchases.record(p),
              await repo.purchases.record({ ...p, points: 1, countedBy: 'someone-else' }),
              await repo.purchases.get(p.customerId, { source: 'purchase', purchaseId: key }),
              p,
            ] as const;
          },
        ],
        [
          'coupons',
          async (key: string) => {
            const c = coupon(key, id('cus'));
            return [
              await repo.coupons.issue(c),
              await repo.coupons.issue({ ...c, value: { amountMinor: 1, currency: 'USD' } }),
              await repo.coupons.get(key),
              c,
            ] as const;
          },
        ],
        [
          'outbox',
          async (key: string) => {
            const e = email(key, id('cus'), '2026-03-01T00:00:00Z');
            return [
              await repo.outbox.enqueue(e),
              await repo.outbox.enqueue({ ...e, subject: 'Other' }),
              await repo.outbox.get(key),
              e,
            ] as const;
          },
        ],
      ])('%s: the first write wins and repeats return it', async (name, exercise) => {
        const [first, second, read, original] = await exercise(
          id(`${name}-key`).replace(/-/g, '_') + ':1',
        );
        expect(first).toEqual({ record: original, created: true });
        expect(second).toEqual({ record: original, created: false });
        expect(read).toEqual(original);
      });

      it('payments: the same key with the same request returns the first result; with another request, a conflict', async () => {
        const p: PaymentRecord = {
          idempotencyKey: `${id('sub')}:1:1`,
          customerId: id('cus'),
          amount: { amountMinor: 1999, currency: 'USD' },
          paymentMethod: 'pm_card_visa',
          status: 'succeeded',
          providerRef: 'ch_1',
          declineCode: null,
          createdAt: at('2026-03-01T00:00:00Z'),
        };
        expect(await repo.payments.claim(p)).toEqual({ record: p, created: true });
        expect(await repo.payments.claim({ ...p, providerRef: 'ch_2' })).toEqual({
          record: p,
          created: false,
        });
        await expect(
          repo.payments.claim({ ...p, amount: { amountMinor: 1, currency: 'USD' } }),
        ).rejects.toBeInstanceOf(ConflictError);
        await expect(repo.payments.get(p.idempotencyKey)).resolves.toEqual(p);
      });
    });

    describe('versioned projections', () => {
      it('a late retry of an older subscription projection never overwrites a newer one', async () => {
        const cid = id('cus-proj');
        const sid = id('sub-proj');
        expect(await repo.subscriptions.save(subscription(sid, cid, 1))).toEqual(
          subscription(sid, cid, 1),
        );
        expect(await repo.subscriptions.save(subscription(sid, cid, 3))).toEqual(
          subscription(sid, cid, 3),
        );
        expect(await repo.subscriptions.save(subscription(sid, cid, 2))).toEqual(
          subscription(sid, cid, 3),
        );
        expect(await repo.subscriptions.save(subscription(sid, cid, 3))).toEqual(
          subscription(sid, cid, 3),
        );
        await expect(repo.subscriptions.get(sid)).resolves.toEqual(subscription(sid, cid, 3));
      });

      it('a newer version clears what an older one set (a pause, then a resume) and sets it again', async () => {
        const cid = id('cus-clear');
        const sid = id('sub-clear');
        const paused = {
          ...subscription(sid, cid, 2),
          status: 'paused' as const,
          nextChargeAt: null,
          pausedAt: at('2026-02-10T00:00:00Z'),
          canceledAt: at('2026-02-11T00:00:00Z'),
          cancelEffectiveAt: at('2026-02-28T09:00:00Z'),
          cancelReason: 'too expensive',
        };
        await repo.subscriptions.save(subscription(sid, cid, 0));
        await repo.subscriptions.save(paused);
        await expect(repo.subscriptions.get(sid)).resolves.toEqual(paused);
        await repo.subscriptions.save(subscription(sid, cid, 3));
        await expect(repo.subscriptions.get(sid)).resolves.toEqual(subscription(sid, cid, 3));
        await repo.subscriptions.save({ ...paused, version: 4 });
        await expect(repo.subscriptions.get(sid)).resolves.toEqual({ ...paused, version: 4 });
        // A stale retry of the resume changes nothing.
        expect(await repo.subscriptions.save(subscription(sid, cid, 3))).toEqual({
          ...paused,
          version: 4,
        });
      });

      it('concurrent saves of many versions converge on the highest, whatever each one set', async () => {
        const cid = id('cus-conv');
        const sid = id('sub-conv');
        const version = (v: number): SubscriptionProjection => ({
          ...subscription(sid, cid, v),
          pausedAt: v % 2 === 0 ? at('2026-02-10T00:00:00Z') : null,
          cancelReason: v % 3 === 0 ? `reason ${v}` : null,
        });
        const order = [7, 0, 3, 11, 1, 9, 4, 10, 2, 8, 5, 6];
        const answers = await Promise.all(order.map((v) => repo.subscriptions.save(version(v))));
        // Each answer is its own version or a newer stored one, never an older one.
        answers.forEach((a, i) => expect(a.version).toBeGreaterThanOrEqual(order[i] ?? 0));
        await expect(repo.subscriptions.get(sid)).resolves.toEqual(version(11));
      });

      it('loyalty accounts follow the same rule', async () => {
        const account = (version: number): LoyaltyAccount => ({
          customerId: id('cus-acct'),
          balance: version * 100,
          lifetimePoints: version * 100,
          couponsIssued: 0,
          couponsRedeemed: 0,
          version,
          updatedAt: at('2026-03-01T00:00:00Z'),
        });
        await repo.loyalty.save(account(2));
        expect(await repo.loyalty.save(account(1))).toEqual(account(2));
        await expect(repo.loyalty.get(account(1).customerId)).resolves.toEqual(account(2));
      });
    });

    describe('exact counts under concurrency', () => {
      it('50 concurrent point increments end exact', async () => {
        const cid = id('cus-points');
        await Promise.all(
          Array.from({ length: 50 }, () =>
            repo.loyalty.addPoints(cid, 10, at('2026-03-01T00:00:00Z')),
          ),
        );
        await expect(repo.loyalty.get(cid)).resolves.toMatchObject({
          balance: 500,
          lifetimePoints: 500,
          version: 50,
        });
      }, 120_000);

      it('a deduction larger than the balance is refused and changes nothing', async () => {
        const cid = id('cus-deduct');
        await repo.loyalty.addPoints(cid, 100, at('2026-03-01T00:00:00Z'));
        await expect(
          repo.loyalty.addPoints(cid, -101, at('2026-03-01T00:00:00Z')),
        ).rejects.toBeInstanceOf(ValidationError);
        expect(await repo.loyalty.addPoints(cid, -40, at('2026-03-01T00:00:00Z'))).toMatchObject({
          balance: 60,
          lifetimePoints: 100,
        });
      });

      it('10 concurrent redemptions of one coupon: exactly one succeeds', async () => {
        const cid = id('cus-redeem');
        const couponId = `${cid}:1`;
        await repo.coupons.issue(coupon(couponId, cid));
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) =>
            repo.coupons.redeem(couponId, cid, at('2026-03-02T00:00:00Z'), `redeem:${i}`),
          ),
        );
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        expect(won).toHaveLength(1);
        for (const lost of outcomes) {
          if (lost.status === 'rejected') expect(lost.reason).toBeInstanceOf(ConflictError);
        }
        await expect(repo.coupons.get(couponId)).resolves.toMatchObject({
          status: 'redeemed',
          redeemedAt: at('2026-03-02T00:00:00Z'),
        });
      });

      it("another customer's coupon is not found, and stays unredeemed", async () => {
        const couponId = `${id('cus-owner')}:1`;
        await repo.coupons.issue(coupon(couponId, id('cus-owner')));
        await expect(
          repo.coupons.redeem(couponId, id('cus-thief'), at('2026-03-02T00:00:00Z'), 'redeem:x'),
        ).rejects.toBeInstanceOf(NotFoundError);
        await expect(repo.coupons.get(couponId)).resolves.toMatchObject({ status: 'issued' });
      });

      it('a retried redemption (same request) gets the coupon again; another request is refused', async () => {
        const cid = id('cus-retry-redeem');
        const couponId = `${cid}:1`;
        await repo.coupons.issue(coupon(couponId, cid));
        const first = await repo.coupons.redeem(couponId, cid, at('2026-03-02T00:00:00Z'), 'upd-1');
        expect(first).toMatchObject({ status: 'redeemed', redeemedBy: 'upd-1' });
        await expect(
          repo.coupons.redeem(couponId, cid, at('2026-03-02T00:00:09Z'), 'upd-1'),
        ).resolves.toEqual(first);
        await expect(
          repo.coupons.redeem(couponId, cid, at('2026-03-02T00:00:09Z'), 'upd-2'),
        ).rejects.toBeInstanceOf(ConflictError);
        await expect(repo.coupons.countByCustomer(cid)).resolves.toBe(1);
        await expect(repo.coupons.countByCustomer(id('cus-none'))).resolves.toBe(0);
      });

      it('the points ledger is per customer and per source: one purchase id never collides', async () => {
        const a = id('cus-ledger-a');
        const b = id('cus-ledger-b');
        const results = [
          await repo.purchases.record(purchase(a, 'ord-4', 'purchase', 100)),
          await repo.purchases.record(purchase(b, 'ord-4', 'purchase', 200)),
          await repo.purchases.record(purchase(a, 'ord-4', 'charge', 300)),
        ];
        expect(results.map((r) => r.created)).toEqual([true, true, true]);
        const again = await repo.purchases.record({ ...purchase(b, 'ord-4'), countedBy: 'x' });
        expect(again).toEqual({ record: purchase(b, 'ord-4', 'purchase', 200), created: false });
        const found = await repo.purchases.find(a, [
          { source: 'purchase', purchaseId: 'ord-4' },
          { source: 'charge', purchaseId: 'ord-4' },
          { source: 'purchase', purchaseId: 'ord-missing' },
        ]);
        expect(found.map((p) => `${p.source}:${p.points}`).sort()).toEqual([
          'charge:300',
          'purchase:100',
        ]);
        await expect(repo.purchases.find(a, [])).resolves.toEqual([]);
        await expect(repo.purchases.totals(a)).resolves.toEqual({ purchases: 2, points: 400 });
        await expect(repo.purchases.totals(b)).resolves.toEqual({ purchases: 1, points: 200 });
        await expect(repo.purchases.totals(id('cus-ledger-none'))).resolves.toEqual({
          purchases: 0,
          points: 0,
        });
        const stored = await repo.purchases.get(a, { source: 'purchase', purchaseId: 'ord-4' });
        expect(stored).toEqual(purchase(a, 'ord-4', 'purchase', 100));
      });

      it('a permanent delivery failure is recorded once; pending emails are listed until sent or failed', async () => {
        const cid = id('cus');
        const ok = email(`${id('mail')}:ok`, cid, '2026-03-01T00:00:00Z');
        const bad = email(`${id('mail')}:bad`, cid, '2026-03-01T00:00:01Z');
        await repo.outbox.enqueue(ok);
        await repo.outbox.enqueue(bad);
        const pendingIds = async () => (await repo.outbox.listPending(500)).map((e) => e.id);
        expect(await pendingIds()).toEqual(expect.arrayContaining([ok.id, bad.id]));
        expect(await repo.outbox.markFailed(bad.id, '550 no such mailbox')).toMatchObject({
          status: 'failed',
          failure: '550 no such mailbox',
        });
        // Failed stays failed, with its first reason; a sent email is not failed afterwards.
        expect(await repo.outbox.markFailed(bad.id, 'again')).toMatchObject({
          status: 'failed',
          failure: '550 no such mailbox',
        });
        await repo.outbox.markSent(ok.id, at('2026-03-01T00:00:05Z'));
        expect(await repo.outbox.markFailed(ok.id, 'late')).toMatchObject({ status: 'sent' });
        expect(await pendingIds()).not.toEqual(expect.arrayContaining([ok.id]));
        expect(await pendingIds()).not.toEqual(expect.arrayContaining([bad.id]));
        await expect(repo.outbox.get(ok.id)).resolves.not.toHaveProperty('failure');
      });

      it('marking an email sent twice keeps the first sentAt', async () => {
        const e = email(`${id('mail')}:sent`, id('cus'), '2026-03-01T00:00:00Z');
        await repo.outbox.enqueue(e);
        await repo.outbox.markSent(e.id, at('2026-03-01T00:00:05Z'));
        expect(await repo.outbox.markSent(e.id, at('2026-03-01T00:09:00Z'))).toMatchObject({
          status: 'sent',
          sentAt: at('2026-03-01T00:00:05Z'),
        });
      });
    });

    describe('listings', () => {
      it('paging through 1,000 charges returns each once, in order', async () => {
        const sid = id('sub-1000');
        const all = Array.from({ length: 1_000 }, (_, i) =>
          charge(sid, Math.floor(i / 2) + 1, (i % 2) + 1),
        );
        for (let i = 0; i < all.length; i += 50)
          await Promise.all(all.slice(i, i + 50).map((c) => repo.charges.record(c)));
        const seen: ChargeEntry[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await repo.charges.listBySubscription(sid, { limit: 100, cursor });
          seen.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < 20);
        expect(seen.map((c) => `${c.period}:${c.attempt}`)).toEqual(
          all.map((c) => `${c.period}:${c.attempt}`),
        );
      }, 180_000);

      it("lists a customer's subscriptions, coupons and emails (newest email first)", async () => {
        const cid = id('cus-lists');
        for (const n of [1, 2, 3]) {
          await repo.subscriptions.save(subscription(`${id('sub-list')}-${n}`, cid, 1));
          await repo.coupons.issue(coupon(`${cid}:${n}`, cid));
          await repo.outbox.enqueue(email(`${cid}:mail:${n}`, cid, `2026-03-0${n}T00:00:00Z`));
        }
        const subs1 = await repo.subscriptions.listByCustomer(cid, { limit: 2 });
        const subs2 = await repo.subscriptions.listByCustomer(cid, {
          limit: 2,
          cursor: subs1.nextCursor,
        });
        expect([...subs1.items, ...subs2.items].map((s) => s.id).sort()).toEqual(
          [1, 2, 3].map((n) => `${id('sub-list')}-${n}`),
        );
        const coupons = await repo.coupons.listByCustomer(cid);
        expect(coupons.items.map((c) => c.id).sort()).toEqual([1, 2, 3].map((n) => `${cid}:${n}`));
        const emails = await repo.outbox.listByCustomer(cid);
        expect(emails.items.map((e) => e.id)).toEqual([3, 2, 1].map((n) => `${cid}:mail:${n}`));
        expect((await repo.outbox.listByCustomer(id('cus-nobody'))).items).toEqual([]);
      });

      it('a retried enqueue (with a later createdAt) is listed once, at its first createdAt', async () => {
        const cid = id('cus-retry-mail');
        const first = email(`${cid}:mail:retry`, cid, '2026-03-01T00:00:00Z');
        await repo.outbox.enqueue(first);
        await repo.outbox.enqueue({ ...first, createdAt: at('2026-03-01T00:00:30Z') });
        const listed = await repo.outbox.listByCustomer(cid);
        expect(listed.items.map((e) => [e.id, e.createdAt])).toEqual([[first.id, first.createdAt]]);
      });

      it('rejects a cursor it did not make', async () => {
        await expect(
          repo.charges.listBySubscription(id('sub'), { cursor: 'bm90LWEtY3Vyc29y' }),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          repo.charges.listBySubscription(id('sub'), { limit: 1_000 }),
        ).rejects.toBeInstanceOf(ValidationError);
      });

      it('answers a crafted or foreign cursor with a page or an InvalidCursorError, nothing else', async () => {
        const cid = id('cus-cursor');
        for (const n of [1, 2]) {
          await repo.coupons.issue(coupon(`${cid}:${n}`, cid));
          await repo.outbox.enqueue(email(`${cid}:mail:${n}`, cid, `2026-03-0${n}T00:00:00Z`));
          await repo.subscriptions.save(subscription(`${id('sub-cursor')}-${n}`, cid, 1));
        }
        const foreign = (await repo.coupons.listByCustomer(cid, { limit: 1 })).nextCursor;
        expect(foreign).not.toBeNull();
        const b64 = (json: string) => Buffer.from(json, 'utf8').toString('base64url');
        const cursors = [
          b64('{"s":"00"}'),
          b64('{"s":"ffffffffffffffff"}'),
          b64('{"o":-1}'),
          b64('{"i":"x"}'),
          foreign as string,
        ];
        const listings = [
          (cursor: string) => repo.outbox.listByCustomer(cid, { limit: 1, cursor }),
          (cursor: string) => repo.subscriptions.listByCustomer(cid, { limit: 1, cursor }),
          (cursor: string) => repo.coupons.listByCustomer(cid, { limit: 1, cursor }),
          (cursor: string) => repo.charges.listBySubscription(id('sub-cursor'), { cursor }),
          (cursor: string) => repo.payments.scan({ limit: 1, cursor }),
        ];
        for (const cursor of cursors) {
          for (const list of listings) {
            const outcome = await list(cursor).then(
              (page) => (Array.isArray(page.items) ? 'page' : 'not a page'),
              (error: unknown) => (error instanceof InvalidCursorError ? 'refused' : error),
            );
            expect(['page', 'refused']).toContain(outcome);
          }
        }
      });
    });

    describe('listings by tenant and the purchase ledger (issue #18)', () => {
      // Tenant ids are at most 32 characters: a short suffix keeps runs apart.
      const tid = (name: string) => `${name}-${run}`.toLowerCase().slice(0, 32);
      /** Every item of a listing, following `nextCursor` page by page (at most `max` pages). */
      async function all<T>(
        list: (page: { limit: number; cursor: string | null }) => Promise<{
          items: readonly T[];
          nextCursor: string | null;
        }>,
        limit: number,
        max = 50,
      ): Promise<{ items: T[]; pages: number }> {
        const items: T[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await list({ limit, cursor });
          expect(page.items.length).toBeLessThanOrEqual(limit);
          items.push(...page.items);
          cursor = page.nextCursor;
          pages++;
        } while (cursor !== null && pages < max);
        expect(cursor).toBeNull();
        return { items, pages };
      }

      it("lists a tenant's customers across pages, each once, and never another tenant's", async () => {
        const acme = tid('lc-acme');
        const globex = tid('lc-globex');
        const acmeIds = Array.from({ length: 7 }, (_, n) => `${acme}~cus_${n}`);
        for (const cid of acmeIds) await repo.customers.create(customer(cid, `Acme ${cid}`));
        // The same local ids in another tenant, and an id without a tenant.
        for (const n of [0, 1]) await repo.customers.create(customer(`${globex}~cus_${n}`, 'G'));
        await repo.customers.create(customer(id('cus-untenanted')));
        // A repeated create lists nothing twice.
        await repo.customers.create(customer(acmeIds[0] ?? '', 'Someone else'));

        const listed = await all((page) => repo.customers.listByTenant(acme, page), 3);
        expect(listed.pages).toBeGreaterThanOrEqual(3);
        expect(listed.items.map((c) => c.id).sort()).toEqual([...acmeIds].sort());
        expect(listed.items.find((c) => c.id === acmeIds[0])).toEqual(
          customer(acmeIds[0] ?? '', `Acme ${acmeIds[0]}`),
        );
        const other = await all((page) => repo.customers.listByTenant(globex, page), 20);
        expect(other.items.map((c) => c.id).sort()).toEqual(
          [0, 1].map((n) => `${globex}~cus_${n}`),
        );
        await expect(repo.customers.listByTenant(tid('lc-nobody'))).resolves.toEqual({
          items: [],
          nextCursor: null,
        });
      });

      it("lists a tenant's subscriptions across pages, each once whatever its saves, and never another tenant's", async () => {
        const acme = tid('ls-acme');
        const globex = tid('ls-globex');
        const cid = `${acme}~cus_subs`;
        const acmeIds = Array.from({ length: 5 }, (_, n) => `${acme}~sub_${n}`);
        for (const sid of acmeIds) {
          // Several versions of each: saved again, listed once, as its latest version.
          for (const version of [0, 1, 2])
            await repo.subscriptions.save(subscription(sid, cid, version));
        }
        await repo.subscriptions.save(subscription(`${globex}~sub_0`, `${globex}~cus_subs`, 1));
        await repo.subscriptions.save(subscription(id('sub-untenanted'), id('cus'), 1));

        const listed = await all((page) => repo.subscriptions.listByTenant(acme, page), 2);
        expect(listed.pages).toBeGreaterThanOrEqual(3);
        expect(listed.items.map((s) => s.id).sort()).toEqual([...acmeIds].sort());
        for (const s of listed.items) expect(s).toEqual(subscription(s.id, cid, 2));
        const other = await all((page) => repo.subscriptions.listByTenant(globex, page), 20);
        expect(other.items.map((s) => s.id)).toEqual([`${globex}~sub_0`]);
      });

      it("lists a customer's ledger rows of both sources across pages, and no other customer's", async () => {
        const cid = `${tid('lp')}~cus_ledger`;
        const first = purchase(cid, 'order-first', 'purchase', 99);
        const rows = [
          first,
          ...Array.from({ length: 4 }, (_, n) => purchase(cid, `order-${n}`, 'purchase', 100 + n)),
          purchase(cid, `${tid('lp')}~sub_1:1:1`, 'charge', 1999),
          purchase(cid, `${tid('lp')}~sub_1:2:1`, 'charge', 1999),
        ];
        for (const row of rows) await repo.purchases.record(row);
        // A retry of a row, another customer's row with the same purchaseId.
        await repo.purchases.record({ ...first, points: 1 });
        await repo.purchases.record(purchase(`${tid('lp')}~cus_other`, 'order-0'));

        const listed = await all((page) => repo.purchases.listByCustomer(cid, page), 2);
        expect(listed.pages).toBeGreaterThanOrEqual(4);
        const key = (p: ProcessedPurchase) => `${p.source}/${p.purchaseId}`;
        expect(listed.items.map(key).sort()).toEqual(rows.map(key).sort());
        for (const row of rows) expect(listed.items.find((p) => key(p) === key(row))).toEqual(row);
        await expect(repo.purchases.listByCustomer(id('cus-no-ledger'))).resolves.toEqual({
          items: [],
          nextCursor: null,
        });
      });

      it('refuses a tenant or customer id that is not one, and a cursor it did not make', async () => {
        for (const bad of ['Acme', 'a', 'acme~x', '$ne', ''])
          await expect(repo.customers.listByTenant(bad)).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.subscriptions.listByTenant('Not A Tenant')).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(repo.purchases.listByCustomer('$ne')).rejects.toBeInstanceOf(ValidationError);
        const acme = tid('lr-acme');
        for (const n of [1, 2]) await repo.customers.create(customer(`${acme}~cus_${n}`));
        await expect(repo.customers.listByTenant(acme, { limit: 101 })).rejects.toBeInstanceOf(
          ValidationError,
        );
        const crafted = Buffer.from('{"o":0}').toString('base64url');
        for (const list of [
          () => repo.customers.listByTenant(acme, { cursor: crafted }),
          () => repo.subscriptions.listByTenant(acme, { cursor: crafted }),
          () => repo.purchases.listByCustomer(`${acme}~cus_1`, { cursor: crafted }),
        ])
          await expect(list()).rejects.toBeInstanceOf(InvalidCursorError);
        // One tenant's cursor is not another's: every adapter binds it to the tenant.
        const acmePage = await repo.customers.listByTenant(acme, { limit: 1 });
        expect(acmePage.nextCursor).not.toBeNull();
        await expect(
          repo.customers.listByTenant(tid('lr-globex'), { limit: 1, cursor: acmePage.nextCursor }),
        ).rejects.toBeInstanceOf(InvalidCursorError);
      });
    });

    describe('rate limits', () => {
      it('counts hits per bucket and window, and reports the window before', async () => {
        const bucket = `rl:${run}:a`;
        expect(await repo.rateLimits.hit(bucket, 100)).toEqual({ current: 1, previous: 0 });
        expect(await repo.rateLimits.hit(bucket, 100)).toEqual({ current: 2, previous: 0 });
        expect(await repo.rateLimits.hit(bucket, 101)).toEqual({ current: 1, previous: 2 });
        expect(await repo.rateLimits.hit(bucket, 101)).toEqual({ current: 2, previous: 2 });
        expect(await repo.rateLimits.hit(`rl:${run}:b`, 101)).toEqual({ current: 1, previous: 0 });
        // A window after a gap has no previous count.
        expect(await repo.rateLimits.hit(bucket, 105)).toEqual({ current: 1, previous: 0 });
      });

      it('never under-counts concurrent hits (the k-th hit sees at least k)', async () => {
        const bucket = `rl:${run}:concurrent`;
        const answers = await Promise.all(
          Array.from({ length: 40 }, () => repo.rateLimits.hit(bucket, 7)),
        );
        const sorted = answers.map((a) => a.current).sort((a, b) => a - b);
        sorted.forEach((current, i) => expect(current).toBeGreaterThanOrEqual(i + 1));
        expect(sorted.at(-1)).toBe(40);
        expect((await repo.rateLimits.hit(bucket, 7)).current).toBe(41);
      });

      it('rejects a bucket that is not a key, or a window that is not a whole number', async () => {
        await expect(repo.rateLimits.hit('$ne', 1)).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.rateLimits.hit(`rl:${run}`, -1)).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.rateLimits.hit(`rl:${run}`, 1.5)).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('crafted cursors (issue #15)', () => {
      const cid = id('cus-cursors');
      const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const listings = {
        subscriptions: (cursor: string | null) =>
          repo.subscriptions.listByCustomer(cid, { limit: 1, cursor }),
        coupons: (cursor: string | null) => repo.coupons.listByCustomer(cid, { limit: 1, cursor }),
        emails: (cursor: string | null) => repo.outbox.listByCustomer(cid, { limit: 1, cursor }),
      };
      let cursors: Record<keyof typeof listings, string>;

      beforeAll(async () => {
        for (const n of [1, 2]) {
          await repo.subscriptions.save(subscription(`${id('sub-crafted')}-${n}`, cid, 1));
          await repo.coupons.issue(coupon(`${cid}:${n}`, cid));
          await repo.outbox.enqueue(email(`${cid}:mail:${n}`, cid, `2026-03-0${n}T00:00:00Z`));
        }
        const next = async (name: keyof typeof listings) => {
          const cursor = (await listings[name](null)).nextCursor;
          if (cursor === null) throw new Error(`${name}: no second page`);
          return cursor;
        };
        cursors = {
          subscriptions: await next('subscriptions'),
          coupons: await next('coupons'),
          emails: await next('emails'),
        };
      });

      it.each([
        ['{"s":"00"}', () => b64({ s: '00' })],
        ['{"o":0}', () => b64({ o: 0 })],
        ['{"i":""}', () => b64({ i: '' })],
        ['{"c":0,"i":"x"}', () => b64({ c: 0, i: 'x' })],
        ['not JSON', () => 'bm90LWEtY3Vyc29y'],
      ])('a crafted cursor %s is a ValidationError on every listing', async (_what, crafted) => {
        for (const list of Object.values(listings))
          await expect(list(crafted())).rejects.toBeInstanceOf(ValidationError);
      });

      it('a cursor with its position tampered with is a page or a ValidationError, never a crash', async () => {
        for (const [name, cursor] of Object.entries(cursors)) {
          const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<
            string,
            unknown
          >;
          for (const garbage of ['00', -1, 'zz', 1e300]) {
            const tampered = Object.fromEntries(
              Object.entries(decoded).map(([k, v]) => [k, k === 'l' ? v : garbage]),
            );
            const outcome = await listings[name as keyof typeof listings](b64(tampered)).then(
              () => 'page',
              (error: unknown) => (error instanceof ValidationError ? 'refused' : error),
            );
            expect(['page', 'refused']).toContain(outcome);
          }
        }
      });

      it.each([
        ['coupons', 'emails'],
        ['subscriptions', 'coupons'],
        ['emails', 'subscriptions'],
        ['coupons', 'subscriptions'],
      ] as const)('a %s cursor on %s is a ValidationError', async (from, on) => {
        await expect(listings[on](cursors[from])).rejects.toBeInstanceOf(ValidationError);
        // …and each cursor still works on its own listing.
        expect((await listings[from](cursors[from])).items).toHaveLength(1);
      });
    });

    describe('full scans (reconciliation)', () => {
      /** Every item of a scan, paged with `limit`, bounded in pages. */
      async function scanAll<T>(
        scan: (page: { limit: number; cursor: string | null }) => Promise<{
          items: readonly T[];
          nextCursor: string | null;
        }>,
        limit: number,
      ): Promise<T[]> {
        const all: T[] = [];
        let cursor: string | null = null;
        for (let pages = 0; pages < 1_000; pages++) {
          const page = await scan({ limit, cursor });
          all.push(...page.items);
          cursor = page.nextCursor;
          if (cursor === null) break;
        }
        return all;
      }

      it('pages through every subscription, payment and loyalty account exactly once', async () => {
        const cid = id('cus-scan');
        const n = 25;
        for (let i = 1; i <= n; i++) {
          await repo.subscriptions.save(subscription(`${id('sub-scan')}-${i}`, cid, 1));
          await repo.payments.claim({
            idempotencyKey: `${id('sub-scan')}-${i}:1`,
            customerId: cid,
            amount: { amountMinor: 1999, currency: 'USD' },
            paymentMethod: 'pm_card_visa',
            status: 'succeeded',
            providerRef: `ch_scan_${i}`,
            declineCode: null,
            createdAt: at('2026-02-28T10:00:00Z'),
          });
          await repo.loyalty.addPoints(`${cid}-${i}`, i, at('2026-03-01T00:00:00Z'));
        }
        const subs = (await scanAll((p) => repo.subscriptions.scan(p), 7)).filter((s) =>
          s.id.startsWith(id('sub-scan')),
        );
        expect(subs.map((s) => s.id).sort()).toEqual(
          Array.from({ length: n }, (_, i) => `${id('sub-scan')}-${i + 1}`).sort(),
        );
        const payments = (await scanAll((p) => repo.payments.scan(p), 7)).filter((p) =>
          p.idempotencyKey.startsWith(id('sub-scan')),
        );
        expect(new Set(payments.map((p) => p.idempotencyKey)).size).toBe(n);
        expect(payments.every((p) => p.status === 'succeeded')).toBe(true);
        const accounts = (await scanAll((p) => repo.loyalty.scan(p), 7)).filter((a) =>
          a.customerId.startsWith(cid),
        );
        expect(accounts.map((a) => a.balance).sort((a, b) => a - b)).toEqual(
          Array.from({ length: n }, (_, i) => i + 1),
        );
      }, 120_000);

      it('a scan rejects a cursor it did not make', async () => {
        await expect(repo.payments.scan({ cursor: 'bm90LWEtY3Vyc29y' })).rejects.toBeInstanceOf(
          ValidationError,
        );
      });
    });

    describe('reconciliation runs and findings', () => {
      const observation = (kind: string, subject: string) => ({
        key: `${kind}:${subject}`,
        kind,
        subjectId: subject,
        customerId: id('cus-rec'),
        expected: 'one charge',
        actual: 'none',
      });

      it('a run is started once and finished once; the latest finished run is known', async () => {
        const runId = id('run-a');
        const started = {
          id: runId,
          status: 'running' as const,
          startedAt: at('2026-04-01T00:00:00Z'),
          finishedAt: null,
          findings: {},
          checked: {},
        };
        expect((await repo.reconciliation.startRun(started)).created).toBe(true);
        const again = await repo.reconciliation.startRun({
          ...started,
          startedAt: at('2026-04-01T00:00:09Z'),
        });
        expect(again).toEqual({ record: started, created: false });
        const counts = { findings: { charge_without_payment: 2 }, checked: { payments: 10 } };
        const finished = await repo.reconciliation.finishRun(
          runId,
          at('2026-04-01T00:01:00Z'),
          counts,
        );
        expect(finished).toEqual({
          ...started,
          status: 'completed',
          finishedAt: at('2026-04-01T00:01:00Z'),
          ...counts,
        });
        // A retried finish keeps the first.
        expect(
          await repo.reconciliation.finishRun(runId, at('2026-04-01T00:02:00Z'), {
            findings: {},
            checked: {},
          }),
        ).toEqual(finished);
        expect(await repo.reconciliation.getRun(runId)).toEqual(finished);
        // A run that finished earlier, recorded later, does not become the latest.
        const older = id('run-older');
        await repo.reconciliation.startRun({ ...started, id: older });
        await repo.reconciliation.finishRun(older, at('2026-03-31T00:00:00Z'), counts);
        expect((await repo.reconciliation.latestRun())?.id).toBe(runId);
        await expect(repo.reconciliation.getRun(id('run-none'))).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });

      it('a finding observed twice by one run is one row; a later run moves last seen; an unseen one is kept as unobserved', async () => {
        const [r1, r2] = [id('run-1'), id('run-2')];
        const seen = observation('charge_without_payment', `${id('sub-rec')}:1`);
        const gone = observation('outbox_stuck', `${id('mail-rec')}`);
        const t1 = at('2026-04-01T00:00:00Z');
        const first = await repo.reconciliation.observe(r1, seen, t1);
        expect(first).toEqual({
          ...seen,
          status: 'open',
          firstSeenAt: t1,
          lastSeenAt: t1,
          firstRunId: r1,
          lastRunId: r1,
        });
        // A retried check of the same run: nothing changes.
        expect(await repo.reconciliation.observe(r1, seen, at('2026-04-01T00:00:05Z'))).toEqual(
          first,
        );
        await repo.reconciliation.observe(r1, gone, t1);
        const t2 = at('2026-04-01T01:00:00Z');
        const again = await repo.reconciliation.observe(r2, { ...seen, actual: 'still none' }, t2);
        expect(again).toEqual({
          ...first,
          actual: 'still none',
          lastSeenAt: t2,
          lastRunId: r2,
        });
        // r2 did not see `gone`: marked unobserved; `seen` (last seen by r2) is left open.
        expect((await repo.reconciliation.markUnobserved(gone.key, r1)).status).toBe('unobserved');
        expect((await repo.reconciliation.markUnobserved(seen.key, r1)).status).toBe('open');
        const mine = (keys: readonly { key: string }[]) =>
          keys.map((f) => f.key).filter((k) => k.includes(run));
        const open = await repo.reconciliation.listFindings('open', { limit: 100 });
        expect(mine(open.items)).toEqual([seen.key]);
        const all = await repo.reconciliation.listFindings('all', { limit: 100 });
        expect(mine(all.items).sort()).toEqual([gone.key, seen.key].sort());
        expect((await repo.reconciliation.getFinding(gone.key)).firstRunId).toBe(r1);
        // Seen again later: open again, its first sighting kept.
        const back = await repo.reconciliation.observe(id('run-3'), gone, t2);
        expect(back).toMatchObject({ status: 'open', firstSeenAt: t1, lastSeenAt: t2 });
      });

      it('rejects a finding that is not one', async () => {
        await expect(
          repo.reconciliation.observe(
            id('run-x'),
            { ...observation('Bad Kind', 'x'), kind: 'Bad Kind' },
            at('2026-04-01T00:00:00Z'),
          ),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.reconciliation.listFindings('closed' as 'open')).rejects.toBeInstanceOf(
          ValidationError,
        );
      });
    });

    describe('missing rows and hostile input', () => {
      it.each([
        ['customer', () => repo.customers.get(id('nobody'))],
        ['subscription', () => repo.subscriptions.get(id('nothing'))],
        ['charge', () => repo.charges.get(id('nothing'), 1, 1)],
        ['payment', () => repo.payments.get(`${id('nothing')}:1:1`)],
        ['loyalty account', () => repo.loyalty.get(id('nobody'))],
        [
          'purchase',
          () => repo.purchases.get(id('nobody'), { source: 'purchase', purchaseId: id('nothing') }),
        ],
        ['coupon', () => repo.coupons.get(`${id('nobody')}:1`)],
        ['email', () => repo.outbox.get(id('nothing'))],
        [
          'coupon to redeem',
          () => repo.coupons.redeem(`${id('nobody')}:1`, id('nobody'), new Date(), 'redeem:1'),
        ],
        ['email to mark sent', () => repo.outbox.markSent(id('nothing'), new Date())],
        ['email to mark failed', () => repo.outbox.markFailed(id('nothing'), '550')],
      ])('a missing %s is NotFoundError', async (_what, read) => {
        await expect(read()).rejects.toBeInstanceOf(NotFoundError);
      });

      it.each([
        ['a $-key in the record', { ...customer(id('hostile')), $set: { name: 'x' } }],
        ['an operator as the id', { ...customer(id('hostile')), id: '$ne' }],
        ['an object as the id', { ...customer(id('hostile')), id: { $gt: '' } }],
        ['a path in the id', { ...customer(id('hostile')), id: '../etc/passwd' }],
        ['an oversized name', { ...customer(id('hostile')), name: 'x'.repeat(10_000) }],
        ['a malformed email', { ...customer(id('hostile')), email: 'not an email' }],
      ])('rejects %s with ValidationError and writes nothing', async (_what, input) => {
        await expect(repo.customers.create(input as unknown as Customer)).rejects.toBeInstanceOf(
          ValidationError,
        );
        await expect(repo.customers.get(id('hostile'))).rejects.toBeInstanceOf(NotFoundError);
      });

      it('rejects money that is not integer minor units of a known currency', async () => {
        const sid = id('sub-money');
        await expect(
          repo.charges.record({
            ...charge(sid, 1, 1),
            amount: { amountMinor: 19.99, currency: 'USD' },
          }),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          repo.charges.record({
            ...charge(sid, 1, 1),
            amount: { amountMinor: 1999, currency: 'XYZ' },
          }),
        ).rejects.toBeInstanceOf(ValidationError);
        expect((await repo.charges.listBySubscription(sid)).items).toEqual([]);
      });

      it('rejects ids that are query operators on reads too', async () => {
        await expect(repo.customers.get('$where')).rejects.toBeInstanceOf(ValidationError);
        await expect(repo.coupons.get({ $ne: null } as unknown as string)).rejects.toBeInstanceOf(
          ValidationError,
        );
      });
    });

    describe('tenants, keys and the audit log', () => {
      // Tenant ids are at most 32 characters: a short suffix keeps runs apart.
      const tid = (name: string) => `${name}-${run}`.toLowerCase().slice(0, 32);
      const keyId = () =>
        `key_${Array.from({ length: 16 }, () => Math.floor(Math.random() * 16).toString(16)).join('')}`;
      const tenant = (tenantId: string): Tenant => ({
        id: tenantId,
        name: 'Acme',
        test: false,
        maxActiveSubscriptions: 100,
        maxLoyaltyPrograms: 1000,
        createdAt: at('2026-11-01T00:00:00Z'),
      });
      const key = (k: Partial<ApiKeyRecord> & Pick<ApiKeyRecord, 'id'>): ApiKeyRecord => ({
        tenantId: tid('acme'),
        name: 'backend',
        role: 'full',
        permissions: [],
        secretHash: 'a'.repeat(64),
        createdAt: at('2026-11-01T00:00:00Z'),
        expiresAt: null,
        revokedAt: null,
        ...k,
      });

      it('stores a tenant once', async () => {
        const t = tenant(tid('acme'));
        expect(await repo.access.createTenant(t)).toEqual({ record: t, created: true });
        const again = await repo.access.createTenant({ ...t, name: 'Other' });
        expect(again).toEqual({ record: t, created: false });
        expect(await repo.access.getTenant(t.id)).toEqual(t);
        await expect(repo.access.getTenant(tid('nobody'))).rejects.toBeInstanceOf(NotFoundError);
        await expect(repo.access.getTenant('Bad~Tenant')).rejects.toBeInstanceOf(ValidationError);
      });

      it('stores keys, lists them by tenant, revokes and expires them once', async () => {
        const first = key({ id: keyId(), createdAt: at('2026-11-01T00:00:00Z') });
        const second = key({
          id: keyId(),
          role: 'restricted',
          permissions: ['loyalty:read', 'customers:write'],
          createdAt: at('2026-11-02T00:00:00Z'),
        });
        const admin = key({ id: keyId(), tenantId: null, role: 'admin' });
        for (const k of [first, second, admin])
          expect((await repo.access.createKey(k)).created).toBe(true);
        expect((await repo.access.createKey({ ...first, name: 'again' })).record).toEqual(first);
        expect(await repo.access.getKey(second.id)).toEqual(second);
        expect((await repo.access.listKeys(tid('acme'))).map((k) => k.id)).toEqual([
          first.id,
          second.id,
        ]);
        expect((await repo.access.listKeys(null)).map((k) => k.id)).toContain(admin.id);

        const revoked = await repo.access.revokeKey(first.id, at('2026-11-03T00:00:00Z'));
        expect(revoked.revokedAt).toEqual(at('2026-11-03T00:00:00Z'));
        const again = await repo.access.revokeKey(first.id, at('2026-11-04T00:00:00Z'));
        expect(again.revokedAt).toEqual(at('2026-11-03T00:00:00Z'));

        await repo.access.expireKey(second.id, at('2026-11-10T00:00:00Z'));
        const later = await repo.access.expireKey(second.id, at('2026-11-20T00:00:00Z'));
        expect(later.expiresAt).toEqual(at('2026-11-10T00:00:00Z'));
        const earlier = await repo.access.expireKey(second.id, at('2026-11-05T00:00:00Z'));
        expect(earlier.expiresAt).toEqual(at('2026-11-05T00:00:00Z'));
        expect(await repo.access.getKey(second.id)).toEqual(earlier);
        await expect(repo.access.revokeKey(keyId(), new Date())).rejects.toBeInstanceOf(
          NotFoundError,
        );
      });

      it('refuses a key that mixes roles and tenants', async () => {
        await expect(
          repo.access.createKey(key({ id: keyId(), role: 'admin' })),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          repo.access.createKey(key({ id: keyId(), permissions: ['loyalty:read'] })),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          repo.access.createKey(key({ id: keyId(), role: 'restricted', permissions: ['all'] })),
        ).rejects.toBeInstanceOf(ValidationError);
      });

      it('keeps each audit event once, newest first, per tenant', async () => {
        const acme = tid('audit-a');
        const other = tid('audit-b');
        const event = (tenantId: string, n: number): AuditEvent => ({
          tenantId,
          id: `req-${n}:createCustomer`,
          at: new Date(Date.UTC(2026, 10, 1, 0, 0, n)),
          actor: 'key:key_0123456789abcdef',
          action: 'createCustomer',
          resource: `/v1/customers/cus_${n}`,
          requestId: `req-${n}`,
          status: 201,
        });
        for (let n = 1; n <= 3; n++) await repo.access.recordAudit(event(acme, n));
        await repo.access.recordAudit(event(other, 9));
        const retried = await repo.access.recordAudit({ ...event(acme, 2), status: 200 });
        expect(retried).toEqual({ record: event(acme, 2), created: false });
        const firstPage = await repo.access.listAudit(acme, { limit: 2 });
        expect(firstPage.items.map((e) => e.requestId)).toEqual(['req-3', 'req-2']);
        const rest = await repo.access.listAudit(acme, { cursor: firstPage.nextCursor });
        expect(rest.items).toEqual([event(acme, 1)]);
        expect(rest.nextCursor).toBeNull();
      });

      it('lists the audit events of one subject, newest first, per tenant', async () => {
        const acme = tid('subj-a');
        const other = tid('subj-b');
        const event = (
          tenantId: string,
          n: number,
          subject: string | null,
          action = 'pauseSubscription',
        ): AuditEvent => ({
          tenantId,
          id: `req-${n}:${action}`,
          at: new Date(Date.UTC(2026, 10, 2, 0, 0, n)),
          actor: 'key:key_0123456789abcdef',
          action,
          resource: `/v1/subscriptions/${subject ?? 'none'}/pause`,
          requestId: `req-${n}`,
          status: 200,
          subject,
        });
        const sub1 = 'subscription:sub_1';
        // Recorded out of time order: listed by time on Cassandra and in memory, by the order
        // recorded on the Data API; both agree when each is recorded after the one before.
        await repo.access.recordAudit(event(acme, 1, sub1, 'changeSubscriptionPrice'));
        await repo.access.recordAudit(event(acme, 2, 'subscription:sub_2'));
        await repo.access.recordAudit(event(acme, 3, sub1, 'pauseSubscription'));
        await repo.access.recordAudit(event(acme, 4, null, 'createCustomer'));
        await repo.access.recordAudit(event(other, 5, sub1, 'pauseSubscription'));
        await repo.access.recordAudit(event(acme, 6, sub1, 'resumeSubscription'));
        const retried = await repo.access.recordAudit({ ...event(acme, 3, sub1), status: 409 });
        expect(retried).toEqual({ record: event(acme, 3, sub1), created: false });

        const firstPage = await repo.access.listAuditBySubject(acme, sub1, { limit: 2 });
        expect(firstPage.items).toEqual([
          event(acme, 6, sub1, 'resumeSubscription'),
          event(acme, 3, sub1, 'pauseSubscription'),
        ]);
        const rest = await repo.access.listAuditBySubject(acme, sub1, {
          cursor: firstPage.nextCursor,
        });
        expect(rest.items).toEqual([event(acme, 1, sub1, 'changeSubscriptionPrice')]);
        expect(rest.nextCursor).toBeNull();

        // Another tenant's events about the same subject, and another subject's, never show.
        const theirs = await repo.access.listAuditBySubject(other, sub1);
        expect(theirs.items.map((e) => e.requestId)).toEqual(['req-5']);
        const second = await repo.access.listAuditBySubject(acme, 'subscription:sub_2');
        expect(second.items.map((e) => e.requestId)).toEqual(['req-2']);
        expect((await repo.access.listAuditBySubject(acme, 'subscription:sub_9')).items).toEqual(
          [],
        );
        // The tenant's whole log still has them all, the one without a subject included.
        const all = await repo.access.listAudit(acme);
        expect(all.items.map((e) => e.requestId)).toEqual([
          'req-6',
          'req-4',
          'req-3',
          'req-2',
          'req-1',
        ]);
        expect(all.items.find((e) => e.requestId === 'req-2')?.subject).toBe('subscription:sub_2');

        // A cursor of another subject's listing, or a subject that is not one, is refused.
        await expect(
          repo.access.listAuditBySubject(acme, 'subscription:sub_2', {
            cursor: firstPage.nextCursor,
          }),
        ).rejects.toBeInstanceOf(InvalidCursorError);
        await expect(repo.access.listAuditBySubject(acme, 'not a subject')).rejects.toBeInstanceOf(
          ValidationError,
        );
      });

      it("keeps two tenants' same ids apart", async () => {
        const a = `${tid('ta')}~cus_same`;
        const b = `${tid('tb')}~cus_same`;
        await repo.customers.create(customer(a, 'Ada of A'));
        await repo.customers.create(customer(b, 'Ada of B'));
        expect((await repo.customers.get(a)).name).toBe('Ada of A');
        expect((await repo.customers.get(b)).name).toBe('Ada of B');
        await expect(repo.customers.get('Cus~same')).rejects.toBeInstanceOf(ValidationError);
      });
    });
  });
}
