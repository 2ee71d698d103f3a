import type { Express } from 'express';
import pino from 'pino';
import request from 'supertest';
import { startApiHarness, type ApiHarness } from './testing/api-harness';

/**
 * The API as an attacker meets it (OWASP API Security Top 10): two tenants with their own keys,
 * every operation tried across tenants (API1, BOLA), with every role and a customer token (API5,
 * function-level authorization), keys revoked and rotated, tokens forged, the audit log read, and
 * no secret in any log line. Over the real workflows and a real Cassandra keyspace.
 */
describe('security: tenants, roles and customer tokens', () => {
  jest.setTimeout(120_000);
  const run = Date.now().toString(36);
  const ADMIN = 'admin-secret-0123456789abcdef';
  const TOKEN_SECRET = 'token-secret-0123456789abcdef-0123456789';
  const ACME = `acme-${run}`;
  const GLOBEX = `globex-${run}`;
  let h: ApiHarness;
  let app: Express;
  const logLines: string[] = [];

  /** Secrets of the keys made below, by name. */
  const keys: Record<string, string> = {};
  const keyIds: Record<string, string> = {};
  const alice = `alice-${run}`;
  const bob = `bob-${run}`;
  let aliceSub: string;
  let aliceCoupon: string;
  let aliceToken: string;

  async function call(
    credential: string | null,
    method: 'get' | 'post',
    url: string,
    body?: object,
    headers: Record<string, string> = {},
  ) {
    let req = request(app)[method](url);
    if (credential) req = req.set('Authorization', `Bearer ${credential}`);
    for (const [name, value] of Object.entries(headers)) req = req.set(name, value);
    const res = body === undefined ? await req : await req.send(body);
    h.spec.check(method, url, res);
    return res;
  }

  async function makeKey(name: string, tenant: string, role: string, permissions?: string[]) {
    const res = await call(ADMIN, 'post', `/v1/admin/tenants/${tenant}/keys`, {
      name,
      role,
      ...(permissions ? { permissions } : {}),
    });
    expect(res.status).toBe(201);
    const created = res.body as { key: { id: string }; secret: string };
    keys[name] = created.secret;
    keyIds[name] = created.key.id;
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 300; i++) {
      const value = await probe();
      if (value !== undefined) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`timed out waiting for ${what}`);
  }

  beforeAll(async () => {
    h = await startApiHarness(`sec_${run}`);
    app = h.app({
      adminKeys: [{ name: 'ops', secret: ADMIN }],
      signingSecret: TOKEN_SECRET,
      // Every request reads its key again: a revocation shows at once (30 s in production).
      keyCacheTtlMs: 0,
      logger: pino({ level: 'debug' }, { write: (line: string) => void logLines.push(line) }),
    });
    for (const [id, name] of [
      [ACME, 'Acme'],
      [GLOBEX, 'Globex'],
    ] as const) {
      expect((await call(ADMIN, 'post', '/v1/admin/tenants', { id, name })).status).toBe(201);
    }
    await makeKey('acme-full', ACME, 'full');
    await makeKey('acme-read', ACME, 'read_only');
    await makeKey('acme-loyalty-reader', ACME, 'restricted', ['loyalty:read']);
    await makeKey('globex-full', GLOBEX, 'full');

    // Acme's data: Alice with a subscription and a coupon, and Bob.
    const acme = keys['acme-full'] ?? '';
    for (const id of [alice, bob]) {
      const res = await call(acme, 'post', '/v1/customers', {
        id,
        email: `${id}@acme.example`,
        name: id,
      });
      expect(res.status).toBe(201);
    }
    const sub = await call(
      acme,
      'post',
      '/v1/subscriptions',
      {
        customerId: alice,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 2_500, currency: 'USD' },
        interval: { unit: 'month', count: 1 },
      },
      { 'Idempotency-Key': `sub-${run}` },
    );
    expect(sub.status).toBe(201);
    aliceSub = (sub.body as { id: string }).id;
    const purchase = await call(acme, 'post', `/v1/customers/${alice}/purchases`, {
      purchaseId: `order-${run}`,
      total: 15_000,
      currency: 'USD',
    });
    expect(purchase.status).toBe(201);
    aliceCoupon = (purchase.body as { couponsIssued: string[] }).couponsIssued[0] ?? '';
    expect(aliceCoupon).toBe(`${alice}:1`);
    const token = await call(acme, 'post', `/v1/customers/${alice}/tokens`, {});
    expect(token.status).toBe(201);
    aliceToken = (token.body as { token: string }).token;
  }, 180_000);

  afterAll(() => h?.close());

  /**
   * One request per operation, addressing Acme's resources. Every operation of the API must be
   * here: a new route without a case fails the coverage test below.
   */
  const requests: Record<
    string,
    () => { method: 'get' | 'post'; url: string; body?: object; headers?: Record<string, string> }
  > = {
    createCustomer: () => ({
      method: 'post',
      url: '/v1/customers',
      body: { id: alice, email: 'mallory@evil.example', name: 'Mallory' },
    }),
    getCustomer: () => ({ method: 'get', url: `/v1/customers/${alice}` }),
    listCustomers: () => ({ method: 'get', url: `/v1/customers?q=${alice}` }),
    createSubscription: () => ({
      method: 'post',
      url: '/v1/subscriptions',
      body: {
        customerId: alice,
        paymentMethod: 'pm_card_visa',
        price: { amountMinor: 99_999, currency: 'USD' },
        interval: { unit: 'year', count: 1 },
      },
      headers: { 'Idempotency-Key': `evil-${run}` },
    }),
    getSubscription: () => ({ method: 'get', url: `/v1/subscriptions/${aliceSub}` }),
    listCustomerSubscriptions: () => ({
      method: 'get',
      url: `/v1/customers/${alice}/subscriptions`,
    }),
    cancelSubscription: () => ({
      method: 'post',
      url: `/v1/subscriptions/${aliceSub}/cancel`,
      body: { mode: 'now' },
    }),
    changeSubscriptionPrice: () => ({
      method: 'post',
      url: `/v1/subscriptions/${aliceSub}/price`,
      body: { price: { amountMinor: 1, currency: 'USD' } },
    }),
    pauseSubscription: () => ({ method: 'post', url: `/v1/subscriptions/${aliceSub}/pause` }),
    resumeSubscription: () => ({ method: 'post', url: `/v1/subscriptions/${aliceSub}/resume` }),
    listSubscriptionCharges: () => ({
      method: 'get',
      url: `/v1/subscriptions/${aliceSub}/charges`,
    }),
    listSubscriptionEvents: () => ({
      method: 'get',
      url: `/v1/subscriptions/${aliceSub}/events`,
    }),
    recordPurchase: () => ({
      method: 'post',
      url: `/v1/customers/${alice}/purchases`,
      body: { purchaseId: `evil-${run}`, total: 100_000, currency: 'USD' },
    }),
    getLoyaltyBalance: () => ({ method: 'get', url: `/v1/customers/${alice}/loyalty` }),
    listCoupons: () => ({ method: 'get', url: `/v1/customers/${alice}/coupons` }),
    listPurchases: () => ({ method: 'get', url: `/v1/customers/${alice}/purchases` }),
    getOverview: () => ({ method: 'get', url: '/v1/overview' }),
    redeemCoupon: () => ({
      method: 'post',
      url: `/v1/customers/${alice}/coupons/${aliceCoupon}/redeem`,
    }),
    listEmails: () => ({ method: 'get', url: `/v1/customers/${alice}/emails` }),
    mintCustomerToken: () => ({
      method: 'post',
      url: `/v1/customers/${alice}/tokens`,
      body: {},
    }),
    listAuditEvents: () => ({ method: 'get', url: '/v1/audit-events' }),
    startReconciliationRun: () => ({
      method: 'post',
      url: '/v1/reconciliation/runs',
      body: {},
      headers: { 'Idempotency-Key': `rec-${run}` },
    }),
    getReconciliationRun: () => ({ method: 'get', url: `/v1/reconciliation/runs/reconcile-x` }),
    listReconciliationFindings: () => ({ method: 'get', url: '/v1/reconciliation/findings' }),
    encodePayloads: () => ({ method: 'post', url: '/v1/codec/encode', body: { payloads: [] } }),
    decodePayloads: () => ({ method: 'post', url: '/v1/codec/decode', body: { payloads: [] } }),
    createTenant: () => ({
      method: 'post',
      url: '/v1/admin/tenants',
      body: { id: ACME, name: 'Hijacked' },
    }),
    getTenant: () => ({ method: 'get', url: `/v1/admin/tenants/${ACME}` }),
    createApiKey: () => ({
      method: 'post',
      url: `/v1/admin/tenants/${ACME}/keys`,
      body: { name: 'backdoor', role: 'full' },
    }),
    listApiKeys: () => ({ method: 'get', url: `/v1/admin/tenants/${ACME}/keys` }),
    revokeApiKey: () => ({
      method: 'post',
      url: `/v1/admin/keys/${keyIds['acme-full'] ?? ''}/revoke`,
    }),
    rollApiKey: () => ({
      method: 'post',
      url: `/v1/admin/keys/${keyIds['acme-full'] ?? ''}/roll`,
      body: {},
    }),
  };

  const operationIds = () => {
    const document = h.spec.document as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    return Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/v1/'))
      .flatMap(([, ops]) =>
        Object.values(ops).flatMap((op) => (op.operationId ? [op.operationId] : [])),
      );
  };

  it('has a request for every operation of the API', () => {
    expect(Object.keys(requests).sort()).toEqual(operationIds().sort());
  });

  const send = (credential: string | null, operationId: string) => {
    const r = requests[operationId]?.();
    if (!r) throw new Error(`no request for ${operationId}`);
    return call(credential, r.method, r.url, r.body, r.headers);
  };

  /** What Acme's data looks like to Acme: nothing another tenant does may change it. */
  async function acmeState() {
    const acme = keys['acme-full'] ?? '';
    const [customer, subscription, loyalty, coupons] = await Promise.all([
      call(acme, 'get', `/v1/customers/${alice}`),
      call(acme, 'get', `/v1/subscriptions/${aliceSub}`),
      call(acme, 'get', `/v1/customers/${alice}/loyalty`),
      call(acme, 'get', `/v1/customers/${alice}/coupons`),
    ]);
    const s = subscription.body as { status: string; price: unknown; pendingPrice: unknown };
    const l = loyalty.body as { lifetimePoints: number; couponsRedeemed: number };
    return {
      customer: customer.body as unknown,
      subscription: { status: s.status, price: s.price, pendingPrice: s.pendingPrice },
      points: l.lifetimePoints,
      redeemed: l.couponsRedeemed,
      coupons: coupons.body as unknown,
    };
  }

  describe('API1 broken object-level authorization: another tenant', () => {
    // What Globex's full key gets for each of Acme's resources: not found, as if absent.
    const expected: Record<string, number> = {
      getCustomer: 404,
      getSubscription: 404,
      cancelSubscription: 404,
      changeSubscriptionPrice: 404,
      pauseSubscription: 404,
      resumeSubscription: 404,
      recordPurchase: 404,
      getLoyaltyBalance: 404,
      redeemCoupon: 404,
      mintCustomerToken: 404,
      listPurchases: 404,
      // Its history is the subscription's: none in Globex.
      listSubscriptionEvents: 404,
      // No such customer in Globex: nothing starts.
      createSubscription: 422,
      // Listings of a customer Globex does not have are empty, never Acme's rows.
      listCustomerSubscriptions: 200,
      listSubscriptionCharges: 200,
      listCoupons: 200,
      listEmails: 200,
      listAuditEvents: 200,
      // Globex's own customers (none yet), and its own figures (all zeros).
      listCustomers: 200,
      getOverview: 200,
    };

    it('reaches none of its customers, subscriptions, ledgers, coupons or emails', async () => {
      const before = await acmeState();
      const globex = keys['globex-full'] ?? '';
      for (const [operationId, status] of Object.entries(expected)) {
        const res = await send(globex, operationId);
        expect({ operationId, status: res.status }).toEqual({ operationId, status });
        // Nothing of Acme's shows in any answer: not its customers' details, not its stored ids.
        const text = JSON.stringify(res.body);
        expect({
          operationId,
          leaked: text.includes('@acme.example') || text.includes(`${ACME}~`),
        }).toEqual({
          operationId,
          leaked: false,
        });
        if (operationId === 'getOverview')
          expect(res.body).toMatchObject({
            subscriptions: { active: 0, trialing: 0, past_due: 0 },
            coupons: { issued: 0, redeemed: 0 },
            scanned: { subscriptions: 0, customers: 0, complete: true },
          });
        else if (status === 200 && operationId !== 'listAuditEvents')
          expect((res.body as { items: unknown[] }).items).toEqual([]);
      }
      // Globex may have its own Alice: a new customer of its own, which says nothing of Acme's.
      const own = await send(globex, 'createCustomer');
      expect(own.status).toBe(201);
      expect(await acmeState()).toEqual(before);
      const acmeAlice = await call(keys['acme-full'] ?? '', 'get', `/v1/customers/${alice}`);
      expect(acmeAlice.body).toMatchObject({ email: `${alice}@acme.example` });
    });

    it("refuses a cursor of another tenant's or another listing's page", async () => {
      const acme = keys['acme-full'] ?? '';
      const first = await call(acme, 'get', '/v1/audit-events?limit=1');
      const cursor = encodeURIComponent((first.body as { nextCursor: string }).nextCursor);
      expect((await call(acme, 'get', `/v1/audit-events?limit=1&cursor=${cursor}`)).status).toBe(
        200,
      );
      const customers = await call(acme, 'get', '/v1/customers?limit=1');
      expect((customers.body as { items: unknown[] }).items).toHaveLength(1);
      const customersCursor = encodeURIComponent(
        (customers.body as { nextCursor: string }).nextCursor,
      );
      for (const [credential, url] of [
        [keys['globex-full'] ?? '', `/v1/audit-events?cursor=${cursor}`],
        [acme, `/v1/customers/${alice}/coupons?cursor=${cursor}`],
        [acme, `/v1/customers/${bob}/subscriptions?cursor=${cursor}`],
        [keys['globex-full'] ?? '', `/v1/customers?cursor=${customersCursor}`],
        [acme, `/v1/customers?cursor=${cursor}`],
        [acme, `/v1/customers/${alice}/purchases?cursor=${customersCursor}`],
      ] as const) {
        const res = await call(credential, 'get', url);
        expect({
          url,
          status: res.status,
          errors: (res.body as { errors?: unknown }).errors,
        }).toEqual({
          url,
          status: 400,
          errors: [expect.objectContaining({ in: 'query', field: 'cursor' })],
        });
      }
    });

    it('never lists another tenant in its audit log', async () => {
      const res = await call(keys['globex-full'] ?? '', 'get', '/v1/audit-events?limit=100');
      expect(res.status).toBe(200);
      // Globex's own key, and the platform admin who made it: never Acme's keys or customers.
      const actors = new Set(
        (res.body as { items: { actor: string }[] }).items.map((e) => e.actor),
      );
      expect([...actors].sort()).toEqual(['env:ops', `key:${keyIds['globex-full']}`].sort());
    });
  });

  describe('API5 broken function-level authorization: roles and customer tokens', () => {
    const ADMIN_OPS = [
      'startReconciliationRun',
      'getReconciliationRun',
      'listReconciliationFindings',
      'encodePayloads',
      'decodePayloads',
      'createTenant',
      'getTenant',
      'createApiKey',
      'listApiKeys',
      'revokeApiKey',
      'rollApiKey',
    ];
    const READS = [
      'getCustomer',
      'listCustomers',
      'listPurchases',
      'getOverview',
      'getSubscription',
      'listCustomerSubscriptions',
      'listSubscriptionCharges',
      'listSubscriptionEvents',
      'getLoyaltyBalance',
      'listCoupons',
      'listEmails',
      'listAuditEvents',
    ];
    const CUSTOMER_OPS = [
      'getSubscription',
      'listCustomerSubscriptions',
      'getLoyaltyBalance',
      'listCoupons',
      'listPurchases',
      'redeemCoupon',
    ];
    const LOYALTY_READS = ['getLoyaltyBalance', 'listCoupons', 'listPurchases'];

    /** The specification of who may do what, written out independently of the routes. */
    function allowed(who: string, operationId: string): boolean {
      if (ADMIN_OPS.includes(operationId)) return who === 'admin';
      switch (who) {
        case 'admin':
          return false;
        case 'full':
          return true;
        case 'read_only':
          return READS.includes(operationId);
        case 'restricted':
          return LOYALTY_READS.includes(operationId);
        case 'customer':
          return CUSTOMER_OPS.includes(operationId);
        default:
          throw new Error(who);
      }
    }

    // Writes that would change Acme's data are sent for resources that do not exist (404 when
    // allowed): the matrix checks who gets past authorization, not what the write does.
    const harmless = new Set([
      'cancelSubscription',
      'changeSubscriptionPrice',
      'pauseSubscription',
      'resumeSubscription',
      'redeemCoupon',
      'revokeApiKey',
      'rollApiKey',
    ]);

    it('lets each role do exactly what it grants (routes × roles)', async () => {
      const credentials: Record<string, string> = {
        admin: ADMIN,
        full: keys['acme-full'] ?? '',
        read_only: keys['acme-read'] ?? '',
        restricted: keys['acme-loyalty-reader'] ?? '',
        customer: aliceToken,
      };
      const table: string[] = [];
      for (const operationId of operationIds()) {
        for (const [who, credential] of Object.entries(credentials)) {
          const r = requests[operationId]?.();
          if (!r) throw new Error(operationId);
          const url = harmless.has(operationId)
            ? r.url
                .replace(aliceSub, 'sub_missing')
                .replace(aliceCoupon, `${alice}:999`)
                .replace(/key_[0-9a-f]{16}/, 'key_0000000000000000')
            : r.url;
          const headers = { ...r.headers };
          if (headers['Idempotency-Key']) headers['Idempotency-Key'] += `-${who}`;
          const res = await call(credential, r.method, url, r.body, headers);
          const ok = allowed(who, operationId);
          table.push(`${operationId} ${who} ${res.status}`);
          if (ok)
            expect({ operationId, who, denied: [401, 403].includes(res.status) }).toEqual({
              operationId,
              who,
              denied: false,
            });
          else
            expect({ operationId, who, status: res.status }).toEqual({
              operationId,
              who,
              status: 403,
            });
        }
      }
      expect(table.length).toBe(operationIds().length * Object.keys(credentials).length);
    });

    it('keeps a customer token to its own customer', async () => {
      for (const url of [
        `/v1/customers/${bob}/loyalty`,
        `/v1/customers/${bob}/coupons`,
        `/v1/customers/${bob}/subscriptions`,
        `/v1/customers/${bob}/purchases`,
      ])
        expect((await call(aliceToken, 'get', url)).status).toBe(404);
      // Bob's subscription, read by id with Alice's token: not found either.
      const bobSub = await call(
        keys['acme-full'] ?? '',
        'post',
        '/v1/subscriptions',
        {
          customerId: bob,
          paymentMethod: 'pm_card_visa',
          price: { amountMinor: 500, currency: 'USD' },
          interval: { unit: 'month', count: 1 },
        },
        { 'Idempotency-Key': `bob-${run}` },
      );
      const bobSubId = (bobSub.body as { id: string }).id;
      expect((await call(aliceToken, 'get', `/v1/subscriptions/${bobSubId}`)).status).toBe(404);
      const own = await call(aliceToken, 'get', `/v1/customers/${alice}/loyalty`);
      expect(own.body).toMatchObject({ customerId: alice });
      expect((own.body as { lifetimePoints: number }).lifetimePoints).toBeGreaterThanOrEqual(
        15_000,
      );
      // Redeeming her own coupon works, once.
      const redeemed = await call(
        aliceToken,
        'post',
        `/v1/customers/${alice}/coupons/${aliceCoupon}/redeem`,
      );
      expect(redeemed.body).toMatchObject({ id: aliceCoupon, status: 'redeemed' });
    });

    it('refuses forged, tampered, foreign and expired tokens', async () => {
      const [head, payload, signature] = aliceToken.split('.') as [string, string, string];
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<
        string,
        unknown
      >;
      const forged = Buffer.from(JSON.stringify({ ...claims, sub: bob })).toString('base64url');
      const unsigned = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${payload}.`;
      for (const token of [
        `${head}.${forged}.${signature}`,
        unsigned,
        `${head}.${payload}.${'A'.repeat(43)}`,
      ]) {
        expect((await call(token, 'get', `/v1/customers/${bob}/loyalty`)).status).toBe(401);
      }
      // Another server's secret: not ours.
      const other = h.app({ signingSecret: 'another-secret-0123456789abcdef-0123456789' });
      const foreign = await request(other)
        .get(`/v1/customers/${alice}/loyalty`)
        .set('Authorization', `Bearer ${aliceToken}`);
      expect(foreign.status).toBe(401);
      // An hour and a minute later, the token is dead.
      const later = h.app({
        signingSecret: TOKEN_SECRET,
        now: () => new Date(Date.now() + 61 * 60_000),
      });
      const expired = await request(later)
        .get(`/v1/customers/${alice}/loyalty`)
        .set('Authorization', `Bearer ${aliceToken}`);
      expect(expired.status).toBe(401);
    });
  });

  describe('keys: revocation and rotation', () => {
    it('rolls a key: both work during the overlap, the old one stops after it', async () => {
      await makeKey('acme-rolling', ACME, 'read_only');
      const old = keys['acme-rolling'] ?? '';
      const rolled = await call(ADMIN, 'post', `/v1/admin/keys/${keyIds['acme-rolling']}/roll`, {
        overlapSeconds: 3_600,
      });
      expect(rolled.status).toBe(201);
      const { secret, key, previous } = rolled.body as {
        secret: string;
        key: { role: string; tenantId: string };
        previous: { expiresAt: string; status: string };
      };
      expect(key).toMatchObject({ role: 'read_only', tenantId: ACME });
      expect(previous.status).toBe('active');
      for (const credential of [old, secret])
        expect((await call(credential, 'get', `/v1/customers/${alice}`)).status).toBe(200);
      const afterOverlap = h.app({
        keyCacheTtlMs: 0,
        now: () => new Date(Date.parse(previous.expiresAt) + 1_000),
      });
      const status = async (credential: string) =>
        (
          await request(afterOverlap)
            .get(`/v1/customers/${alice}`)
            .set('Authorization', `Bearer ${credential}`)
        ).status;
      expect([await status(old), await status(secret)]).toEqual([401, 200]);
    });

    it('revokes a key, and the customer tokens it minted with it', async () => {
      await makeKey('acme-doomed', ACME, 'full');
      const doomed = keys['acme-doomed'] ?? '';
      const token = (
        (await call(doomed, 'post', `/v1/customers/${alice}/tokens`, { ttlSeconds: 600 })).body as {
          token: string;
        }
      ).token;
      expect((await call(token, 'get', `/v1/customers/${alice}/loyalty`)).status).toBe(200);
      const revoked = await call(ADMIN, 'post', `/v1/admin/keys/${keyIds['acme-doomed']}/revoke`);
      expect(revoked.body).toMatchObject({ status: 'revoked' });
      expect((await call(doomed, 'get', `/v1/customers/${alice}`)).status).toBe(401);
      expect((await call(token, 'get', `/v1/customers/${alice}/loyalty`)).status).toBe(401);
      const listed = await call(ADMIN, 'get', `/v1/admin/tenants/${ACME}/keys`);
      const items = (listed.body as { items: { id: string; status: string }[] }).items;
      expect(items.find((k) => k.id === keyIds['acme-doomed'])?.status).toBe('revoked');
      // A key's listing never shows a secret or its hash.
      expect(JSON.stringify(listed.body)).not.toMatch(/isk_|secretHash|[0-9a-f]{64}/);
    });

    it('keeps the secret of a key nowhere: only a digest is stored', async () => {
      const stored = await h.repository.access.getKey(keyIds['acme-full'] ?? '');
      expect(JSON.stringify(stored)).not.toContain(keys['acme-full']);
      expect(stored.secretHash).toMatch(/^[0-9a-f]{64}$/);
    });
  });

  describe('audit log', () => {
    it('records every write with who, what, when and the request id', async () => {
      const acme = keys['acme-full'] ?? '';
      const res = await call(
        acme,
        'post',
        '/v1/customers',
        { id: `carol-${run}`, email: 'carol@acme.example', name: 'Carol' },
        { 'X-Request-Id': `req-${run}-carol` },
      );
      expect(res.status).toBe(201);
      const event = await until('the audit event', async () => {
        const page = await call(acme, 'get', '/v1/audit-events?limit=100');
        return (page.body as { items: Record<string, unknown>[] }).items.find(
          (e) => e['requestId'] === `req-${run}-carol`,
        );
      });
      expect(event).toMatchObject({
        actor: `key:${keyIds['acme-full']}`,
        action: 'createCustomer',
        resource: '/v1/customers',
        status: 201,
        at: expect.any(String) as unknown,
      });
      // Writes by a customer token and refused writes are in it too.
      const events: { actor: string; action: string; status: number }[] = [];
      let cursor: string | null = null;
      do {
        const url = `/v1/audit-events?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await call(acme, 'get', url);
        const body = page.body as { items: typeof events; nextCursor: string | null };
        events.push(...body.items);
        cursor = body.nextCursor;
      } while (cursor);
      expect(events).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            actor: `customer:${alice}`,
            action: 'redeemCoupon',
            status: 200,
          }),
          expect.objectContaining({ action: 'createSubscription', status: 403 }),
          // The platform's writes on Acme's keys are Acme's to see.
          expect.objectContaining({ actor: 'env:ops', action: 'revokeApiKey', status: 200 }),
          expect.objectContaining({ actor: 'env:ops', action: 'rollApiKey', status: 201 }),
        ]),
      );
    });
  });

  describe('API8 security misconfiguration: secrets and logs', () => {
    it('writes no key, token or secret to any log line', () => {
      const all = logLines.join('\n');
      expect(logLines.length).toBeGreaterThan(50);
      for (const secret of [ADMIN, TOKEN_SECRET, aliceToken, ...Object.values(keys)])
        expect(all.includes(secret)).toBe(false);
    });
  });
});
