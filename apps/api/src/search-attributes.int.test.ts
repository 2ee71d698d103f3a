import { registerSearchAttributes, requireTestEnv } from '@invincible/workflows/testing';
import { Connection } from '@temporalio/client';
import Long from 'long';
import { spawnApi, type ApiProcess } from './testing/api-process';

const KEY = 'search-attributes-secret-0123456789';

/**
 * The real API process (from source) deployed into a namespace where no worker has registered
 * the workflows' search attributes yet: `/readyz` says so, a subscription start is a 503 that
 * names the attribute and what registers it (not a 500), and once they are registered the API
 * becomes ready and the same start succeeds.
 */
describe('API in a namespace without the search attributes (real process, dev server)', () => {
  jest.setTimeout(180_000);
  const temporalAddress = requireTestEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS');
  const contactPoints = requireTestEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS');
  const run = Date.now().toString(36);
  const namespace = `api-sa-${run}`;
  let connection: Connection;
  let api: ApiProcess | undefined;

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api?.base ?? ''}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${KEY}`,
        ...(body ? { 'content-type': 'application/json', 'idempotency-key': `k-${run}` } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const readiness = async () => (await call('GET', '/readyz')).body['checks'];

  beforeAll(async () => {
    connection = await Connection.connect({ address: temporalAddress });
    // A namespace of its own, without the custom search attributes (createTestNamespace would
    // register them, as a worker does).
    await connection.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(86_400) },
    });
    api = await spawnApi({
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: namespace,
      CASSANDRA_CONTACT_POINTS: contactPoints,
      CASSANDRA_KEYSPACE: `api_sa_${run}`,
      API_KEYS: `test:${KEY}`,
      LOG_LEVEL: 'warn',
    });
    // Listening, its schema migrated and Temporal reachable: all but the search attributes.
    for (let i = 0; i < 240; i++) {
      const checks = await readiness().catch(() => undefined);
      if ((checks as Record<string, string> | undefined)?.['database'] === 'up') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  });
  afterAll(async () => {
    if (api?.child.exitCode === null) api.child.kill('SIGKILL');
    await connection?.close();
  });

  it('is not ready, and answers a start with a 503 naming the attribute; ready once registered', async () => {
    expect({ checks: await readiness(), output: api?.output() }).toMatchObject({
      checks: { database: 'up', temporal: 'up', searchAttributes: 'down' },
    });
    expect(
      (await call('POST', '/v1/customers', { id: 'ada', email: 'ada@example.com', name: 'Ada' }))
        .status,
    ).toBe(201);
    const subscription = {
      customerId: 'ada',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1_999, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
    };
    const refused = await call('POST', '/v1/subscriptions', subscription);
    expect(refused.status).toBe(503);
    expect(refused.body['detail']).toMatch(
      new RegExp(`^Temporal namespace ${namespace} has no search attribute \\w+ yet`),
    );

    await registerSearchAttributes(connection, namespace);
    let checks: unknown;
    for (let i = 0; i < 40; i++) {
      checks = await readiness();
      if ((checks as Record<string, string>)['searchAttributes'] === 'up') break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(checks).toMatchObject({ searchAttributes: 'up', temporal: 'up', database: 'up' });
    // The same request (same Idempotency-Key) now starts the subscription.
    const started = await call('POST', '/v1/subscriptions', subscription);
    expect({ status: started.status, output: api?.output() }).toMatchObject({ status: 201 });
  });
});
