import { types } from 'cassandra-driver';
import type { CassandraRepositoryConfig } from '../config';
import { exampleSubscription } from '../fixtures';
import { describeRepositoryContract } from '../testing/repository-contract';
import { createCassandraClient } from './client';
import { createCassandraRepository } from './cassandra-repository';
import { MIGRATIONS } from './schema';

/** The shared test Cassandra, with a keyspace of this suite's own, dropped afterwards. */
export function testCassandraConfig(keyspace: string): CassandraRepositoryConfig {
  const contactPoint = process.env['INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'];
  if (!contactPoint)
    throw new Error(
      'INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS is not set: run through `npx nx run astra-repo:int-test` or `npm test`.',
    );
  return {
    backend: 'cassandra',
    contactPoints: contactPoint.split(','),
    localDataCenter: process.env['INVINCIBLE_TEST_CASSANDRA_LOCAL_DATA_CENTER'] ?? 'datacenter1',
    keyspace,
    replicationFactor: 1,
  };
}

describeRepositoryContract('cassandra (CQL)', async () => {
  const config = testCassandraConfig(`contract_${Date.now().toString(36)}`);
  const repo = createCassandraRepository(config);
  await repo.migrate();
  return {
    repo,
    close: async () => {
      const admin = createCassandraClient(config);
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await repo.close();
    },
  };
});

describe('cassandra schema migration', () => {
  it('is safe when several processes migrate one keyspace at once, and idempotent after', async () => {
    const config = testCassandraConfig(`migrate_${Date.now().toString(36)}`);
    const repos = Array.from({ length: 4 }, () => createCassandraRepository(config));
    try {
      const results = await Promise.all(repos.map((r) => r.migrate()));
      expect(results.filter((r) => r.applied)).toHaveLength(1);
      expect(await repos[0]?.migrate()).toEqual({ applied: false });
      await expect(repos[1]?.customers.get('nobody')).rejects.toThrow('not found');
    } finally {
      const admin = createCassandraClient(config);
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await Promise.all(repos.map((r) => r.close()));
    }
  }, 120_000);
});

describe('cassandra schema upgrade', () => {
  it('upgrades a keyspace an earlier release made, keeping its data', async () => {
    const config = testCassandraConfig(`upgrade_${Date.now().toString(36)}`);
    const admin = createCassandraClient(config);
    const repo = createCassandraRepository(config);
    const ks = config.keyspace;
    try {
      // The keyspace as the release before tenancy left it: steps up to v4, marked applied.
      await admin.execute(
        `CREATE KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${config.localDataCenter}': 1}`,
      );
      await admin.execute(
        `CREATE TABLE ${ks}.schema_migrations (id text PRIMARY KEY, owner text, applied_at timestamp)`,
      );
      const released = MIGRATIONS.slice(
        0,
        MIGRATIONS.findIndex((m) => m.id === 'v4-reconciliation') + 1,
      );
      for (const step of released) {
        for (const ddl of step.statements)
          await admin.execute(
            ddl.replace(/^(CREATE TABLE IF NOT EXISTS|ALTER TABLE) /, `$1 ${ks}.`),
          );
        await admin.execute(
          `INSERT INTO ${ks}.schema_migrations (id, owner, applied_at) VALUES (?, 'old', ?)`,
          [step.id, new Date()],
        );
      }
      await admin.execute(
        `INSERT INTO ${ks}.customers (id, email, name, created_at) VALUES ('cus_old', 'old@example.com', 'Old', ?)`,
        [new Date('2026-01-01T00:00:00Z')],
        { prepare: true },
      );

      expect(await repo.migrate()).toEqual({ applied: true });
      const steps = (await admin.execute(`SELECT id FROM ${ks}.schema_migrations`)).rows
        .map((r) => String(r['id']))
        .filter((id) => id !== 'lock');
      expect(steps.sort()).toEqual(MIGRATIONS.map((m) => m.id).sort());
      // What was there is still read; what the new steps made works.
      await expect(repo.customers.get('cus_old')).resolves.toMatchObject({ name: 'Old' });
      await expect(
        repo.access.createTenant({
          id: 'upgraded',
          name: 'Upgraded',
          test: false,
          maxActiveSubscriptions: 1,
          maxLoyaltyPrograms: 1,
          createdAt: new Date(),
        }),
      ).resolves.toMatchObject({ created: true });
      await expect(repo.rateLimits.hit('upgrade-check', 1)).resolves.toMatchObject({ current: 1 });
      expect(await repo.migrate()).toEqual({ applied: false });
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
      await admin.shutdown();
      await repo.close();
    }
  }, 120_000);
});

describe('cassandra schema v7: tenant listings of what was stored before them', () => {
  it('lists, after migrate, customers and subscriptions whose rows were written without a listing row', async () => {
    const config = testCassandraConfig(`backfill_${Date.now().toString(36)}`);
    const admin = createCassandraClient(config);
    const repo = createCassandraRepository(config);
    const ks = config.keyspace;
    try {
      // The keyspace as the release before v7 left it: every earlier step, marked applied.
      await admin.execute(
        `CREATE KEYSPACE ${ks} WITH replication = {'class': 'NetworkTopologyStrategy', '${config.localDataCenter}': 1}`,
      );
      await admin.execute(
        `CREATE TABLE ${ks}.schema_migrations (id text PRIMARY KEY, owner text, applied_at timestamp)`,
      );
      const v7 = MIGRATIONS.findIndex((m) => m.id === 'v7-tenant-listings');
      expect(v7).toBeGreaterThan(0);
      for (const step of MIGRATIONS.slice(0, v7)) {
        for (const ddl of step.statements)
          await admin.execute(
            ddl.replace(/^(CREATE TABLE IF NOT EXISTS|ALTER TABLE) /, `$1 ${ks}.`),
          );
        await admin.execute(
          `INSERT INTO ${ks}.schema_migrations (id, owner, applied_at) VALUES (?, 'old', ?)`,
          [step.id, new Date()],
        );
      }
      // Written as that release wrote them: the rows, and no listing by tenant. More customers
      // than one backfill page (500), so the backfill pages too.
      const customers = Array.from({ length: 620 }, (_, n) => `acme~cus_${n}`);
      for (let i = 0; i < customers.length; i += 50)
        await Promise.all(
          customers
            .slice(i, i + 50)
            .map((id) =>
              admin.execute(
                `INSERT INTO ${ks}.customers (id, email, name, created_at) VALUES (?, ?, ?, ?)`,
                [id, `${id}@example.com`, id, new Date('2026-01-01T00:00:00Z')],
                { prepare: true },
              ),
            ),
        );
      for (const id of ['globex~cus_0', 'cus_untenanted'])
        await admin.execute(
          `INSERT INTO ${ks}.customers (id, email, name, created_at) VALUES (?, 'x@example.com', 'X', ?)`,
          [id, new Date('2026-01-01T00:00:00Z')],
          { prepare: true },
        );
      const old = exampleSubscription('acme~sub_old', 'acme~cus_0', 3);
      await admin.execute(
        `INSERT INTO ${ks}.subscriptions (id, customer_id, status, price_minor, currency, interval_unit,
           interval_count, anchor_at, time_zone, next_charge_at, periods_billed, version, updated_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          old.id,
          old.customerId,
          old.status,
          types.Long.fromNumber(old.price.amountMinor),
          old.price.currency,
          old.interval.unit,
          old.interval.count,
          old.anchorAt,
          old.timeZone,
          old.nextChargeAt,
          old.periodsBilled,
          types.Long.fromNumber(old.version),
          old.updatedAt,
        ],
        { prepare: true },
      );
      await expect(repo.customers.get('acme~cus_0')).resolves.toMatchObject({ name: 'acme~cus_0' });

      expect(await repo.migrate()).toEqual({ applied: true });
      const listed: string[] = [];
      let cursor: string | null = null;
      do {
        const page = await repo.customers.listByTenant('acme', { limit: 100, cursor });
        listed.push(...page.items.map((c) => c.id));
        cursor = page.nextCursor;
      } while (cursor !== null);
      expect(listed.sort()).toEqual([...customers].sort());
      expect((await repo.customers.listByTenant('globex')).items.map((c) => c.id)).toEqual([
        'globex~cus_0',
      ]);
      await expect(repo.subscriptions.listByTenant('acme')).resolves.toEqual({
        items: [old],
        nextCursor: null,
      });
      // Done once: the step is marked, and a second migrate applies nothing.
      expect(await repo.migrate()).toEqual({ applied: false });
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${ks}`);
      await admin.shutdown();
      await repo.close();
    }
  }, 180_000);
});

describe('cassandra listings', () => {
  it('skip an index row whose main row is missing, instead of answering 404', async () => {
    const config = testCassandraConfig(`orphans_${Date.now().toString(36)}`);
    const repo = createCassandraRepository(config);
    const admin = createCassandraClient(config);
    try {
      await repo.migrate();
      const ks = config.keyspace;
      // What a writer that died between its two writes leaves: the index rows only.
      await admin.execute(
        `INSERT INTO ${ks}.subscriptions_by_customer (customer_id, subscription_id) VALUES ('c1', 'sub_orphan')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.coupons_by_customer (customer_id, coupon_id) VALUES ('c1', 'c1:1')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.outbox_by_customer (customer_id, created_at, id) VALUES ('c1', toTimestamp(now()), 'mail_orphan')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.customers_by_tenant (tenant_id, customer_id) VALUES ('acme', 'acme~cus_orphan')`,
      );
      await admin.execute(
        `INSERT INTO ${ks}.subscriptions_by_tenant (tenant_id, subscription_id) VALUES ('acme', 'acme~sub_orphan')`,
      );
      for (const list of [
        () => repo.customers.listByTenant('acme'),
        () => repo.subscriptions.listByTenant('acme'),
      ])
        await expect(list()).resolves.toEqual({ items: [], nextCursor: null });
      await expect(repo.subscriptions.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
      await expect(repo.coupons.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
      await expect(repo.outbox.listByCustomer('c1')).resolves.toEqual({
        items: [],
        nextCursor: null,
      });
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
      await admin.shutdown();
      await repo.close();
    }
  }, 120_000);
});

describe('outbox retention', () => {
  it("makes OUTBOX_RETENTION_DAYS the outbox tables' TTL, and changes it when the setting does", async () => {
    const base = testCassandraConfig(`retention_${Date.now().toString(36)}`);
    const admin = createCassandraClient(base);
    const ttlOf = async (table: string) =>
      Number(
        (
          await admin.execute(
            'SELECT default_time_to_live FROM system_schema.tables WHERE keyspace_name = ? AND table_name = ?',
            [base.keyspace, table],
          )
        ).first()?.['default_time_to_live'],
      );
    const kept = createCassandraRepository({ ...base, outboxRetentionDays: 30 });
    try {
      await kept.migrate();
      expect([await ttlOf('outbox'), await ttlOf('outbox_by_customer')]).toEqual([
        2_592_000, 2_592_000,
      ]);
      await kept.outbox.enqueue({
        id: 'mail_1',
        customerId: 'c1',
        to: 'ada@example.com',
        template: 'receipt',
        subject: 'Receipt',
        body: 'We charged 1.00 USD.',
        status: 'pending',
        createdAt: new Date(),
        sentAt: null,
      });
      const ttl = (
        await admin.execute(
          `SELECT TTL(body) AS ttl FROM ${base.keyspace}.outbox WHERE id = 'mail_1'`,
        )
      ).first()?.['ttl'] as number;
      expect(ttl).toBeGreaterThan(2_590_000);
      // The setting removed: kept again from then on.
      const forever = createCassandraRepository(base);
      await forever.migrate();
      expect(await ttlOf('outbox')).toBe(0);
      await forever.close();
    } finally {
      await admin.execute(`DROP KEYSPACE IF EXISTS ${base.keyspace}`);
      await admin.shutdown();
      await kept.close();
    }
  }, 120_000);
});

/**
 * What the writes cost at the wire, counted on the driver (no timing): the conditional statements
 * (each a Paxos round) and serial reads a save sends, and the tombstone cells a read of the row
 * meets (Cassandra's own trace of the read: "Read 1 live rows and N tombstone cells").
 */
describe('cassandra writes: Paxos rounds and tombstones', () => {
  const config = testCassandraConfig(`writes_${Date.now().toString(36)}`);
  const client = createCassandraClient(config);
  const repo = createCassandraRepository(config, client);
  const execute = jest.spyOn(client, 'execute');
  beforeAll(async () => repo.migrate(), 120_000);
  afterAll(async () => {
    await client.execute(`DROP KEYSPACE IF EXISTS ${config.keyspace}`);
    await repo.close();
  });

  /** The Paxos rounds `write` sent: conditional statements and LOCAL_SERIAL reads. */
  async function rounds(write: () => Promise<unknown>) {
    execute.mockClear();
    await write();
    const calls = execute.mock.calls as unknown as [string, unknown, { consistency?: number }?][];
    return {
      conditional: calls.filter(([cql]) => / IF /.test(cql)).length,
      serialReads: calls.filter(([, , o]) => o?.consistency === types.consistencies.localSerial)
        .length,
    };
  }

  async function tombstones(table: string, where: string, params: unknown[]) {
    const read = await client.execute(
      `SELECT * FROM ${config.keyspace}.${table} WHERE ${where}`,
      params,
      {
        prepare: true,
        traceQuery: true,
      },
    );
    const trace = await client.metadata.getTrace(read.info.traceId);
    const line = trace.events
      .map((e: { activity: string }) => e.activity)
      .find((a: string) => /live rows and \d+ tombstone cells/.test(a));
    if (!line) throw new Error('the trace has no read summary');
    return Number(/and (\d+) tombstone cells/.exec(line)?.[1]);
  }

  const projection = (id: string, version: number) =>
    exampleSubscription(id, 'cus-writes', version);

  it('a save over the previous version is one conditional statement; the first (version 0) too', async () => {
    const id = 'sub-rounds';
    await expect(rounds(() => repo.subscriptions.save(projection(id, 0)))).resolves.toEqual({
      conditional: 1,
      serialReads: 0,
    });
    for (const version of [1, 2, 3]) {
      await expect(rounds(() => repo.subscriptions.save(projection(id, version)))).resolves.toEqual(
        { conditional: 1, serialReads: 0 },
      );
    }
    // A stale retry: the failed condition, then the stored row read serially (it was 2 + 1).
    await expect(rounds(() => repo.subscriptions.save(projection(id, 2)))).resolves.toEqual({
      conditional: 1,
      serialReads: 1,
    });
    // A first save at a later version: the UPDATE finds no row, the INSERT applies.
    await expect(rounds(() => repo.subscriptions.save(projection('sub-late', 5)))).resolves.toEqual(
      { conditional: 2, serialReads: 0 },
    );
    await expect(
      rounds(() =>
        repo.loyalty.save({
          customerId: 'cus-rounds',
          balance: 0,
          lifetimePoints: 0,
          couponsIssued: 0,
          couponsRedeemed: 0,
          version: 1,
          updatedAt: new Date(),
        }),
      ),
    ).resolves.toEqual({ conditional: 2, serialReads: 0 });
    // An uncontended increment: a plain read, then the compare-and-set (it was a serial read too).
    await expect(
      rounds(() => repo.loyalty.addPoints('cus-rounds', 10, new Date())),
    ).resolves.toEqual({ conditional: 1, serialReads: 0 });
  });

  it('absent values write no tombstone; clearing a value that was set writes exactly one', async () => {
    const id = 'sub-tombstones';
    for (const version of [0, 1, 2]) await repo.subscriptions.save(projection(id, version));
    await expect(tombstones('subscriptions', 'id = ?', [id])).resolves.toBe(0);
    await repo.subscriptions.save({
      ...projection(id, 3),
      pausedAt: new Date('2026-02-10T00:00:00Z'),
    });
    // The resume clears paused_at (a tombstone, which is right) and nothing else.
    await expect(rounds(() => repo.subscriptions.save(projection(id, 4)))).resolves.toEqual({
      conditional: 2,
      serialReads: 0,
    });
    await expect(repo.subscriptions.get(id)).resolves.toEqual(projection(id, 4));
    await expect(tombstones('subscriptions', 'id = ?', [id])).resolves.toBe(1);

    await repo.charges.record({
      subscriptionId: id,
      period: 1,
      attempt: 1,
      customerId: 'cus-writes',
      amount: { amountMinor: 1999, currency: 'EUR' },
      outcome: 'failed',
      providerRef: null,
      failureCode: null,
      occurredAt: new Date(),
    });
    await expect(
      tombstones('charges', 'subscription_id = ? AND period = 1 AND attempt = 1', [id]),
    ).resolves.toBe(0);
  });
});
