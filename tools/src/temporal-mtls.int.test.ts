import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appSourceArgs } from './apps';
import { REPO_ROOT } from './paths';
import { temporalServing } from './servers/temporal-dev';
import { writeTestPki, type TestPki } from './testing/certificates';
import {
  cleanStackEnv,
  STACK_CLI,
  freePort,
  freeTemporalPorts,
  isAlive,
  spawnCollecting,
  waitFor,
  type Spawned,
} from './testing/processes';
import { testCassandra } from './testing/test-env';

/**
 * Temporal with mutual TLS, as a secured self-hosted cluster runs it: the stack's Temporal server
 * on Cassandra requires client certificates of a CA (TEMPORAL_SERVER_TLS_*), and the API and both
 * workers reach it with the TEMPORAL_TLS_* variables the temporal CLI reads. A subscription is
 * charged and a purchase counted through it; a client without a certificate, or with another
 * CA's, gets nothing; a worker with a stranger's certificate says so in one line, and does not poll.
 */
const run = Date.now().toString(36);

describe('Temporal over mTLS (TEMPORAL_SERVER_TLS_* on the stack, TEMPORAL_TLS_* in the apps)', () => {
  jest.setTimeout(360_000);
  let dir: string;
  let pki: TestPki;
  let stack: Spawned | undefined;
  let cassandraHost: string;
  let cassandraPort: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'invincible-mtls-'));
    pki = await writeTestPki(dir);
    ({ host: cassandraHost, port: cassandraPort } = testCassandra());
  });

  afterAll(() => {
    const pid = stack?.child.pid;
    if (pid !== undefined && isAlive(pid)) process.kill(-pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** What every client of this Temporal needs: its CA, its name, and a certificate pair. */
  const clientTls = (cert: string, key: string) => ({
    TEMPORAL_TLS_SERVER_CA_CERT_PATH: pki.caCert,
    TEMPORAL_TLS_SERVER_NAME: 'localhost',
    TEMPORAL_TLS_CLIENT_CERT_PATH: cert,
    TEMPORAL_TLS_CLIENT_KEY_PATH: key,
  });

  it('runs the API and both workers through a frontend that requires client certificates', async () => {
    const [temporalPort, uiPort, apiPort] = [
      await freeTemporalPorts(),
      await freePort(),
      await freePort(),
    ];
    const apiKey = `mtls_${randomBytes(16).toString('hex')}`;
    stack = spawnCollecting(process.execPath, [...STACK_CLI, 'start'], {
      cwd: REPO_ROOT,
      detached: true,
      env: cleanStackEnv({
        TEMPORAL_PERSISTENCE: 'cassandra',
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_CASSANDRA_HOSTS: cassandraHost,
        TEMPORAL_CASSANDRA_PORT: cassandraPort,
        TEMPORAL_CASSANDRA_REPLICATION_FACTOR: '1',
        TEMPORAL_CASSANDRA_KEYSPACE: `temporal_mtls_${run}`,
        TEMPORAL_SERVER_TLS_CERT_PATH: pki.serverCert,
        TEMPORAL_SERVER_TLS_KEY_PATH: pki.serverKey,
        TEMPORAL_SERVER_TLS_CLIENT_CA_PATH: pki.caCert,
        ...clientTls(pki.clientCert, pki.clientKey),
        CASSANDRA_CONTACT_POINTS: `${cassandraHost}:${cassandraPort}`,
        CASSANDRA_KEYSPACE: `mtls_${run}`,
        API_PORT: String(apiPort),
        API_KEYS: `mtls:${apiKey}`,
        INVINCIBLE_DATA_DIR: join(dir, 'data'),
        LOG_LEVEL: 'warn',
      }),
    });
    try {
      await waitFor(
        'the "Invincible is up" banner',
        () => stack?.output().includes('Invincible is up') ?? false,
        240_000,
      );
    } catch (error) {
      throw new Error(`${String(error)}\n${stack.output()}`);
    }
    const address = `127.0.0.1:${temporalPort}`;
    // Without a certificate the frontend answers nothing; with the CA's, it serves.
    expect(await temporalServing(address)).toBe(false);

    const http = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
      const response = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${apiKey}`,
          ...(body === undefined
            ? {}
            : { 'content-type': 'application/json', 'idempotency-key': `${run}-${path}` }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const answer = (await response.json()) as T;
      if (response.status >= 300) {
        throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(answer)}`);
      }
      return answer;
    };
    expect(await http('GET', '/readyz')).toMatchObject({ checks: { temporal: 'up' } });
    const customerId = `cus-${run}`;
    await http('POST', '/v1/customers', { id: customerId, email: 'ada@example.com', name: 'Ada' });
    const { id } = await http<{ id: string }>('POST', '/v1/subscriptions', {
      customerId,
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1_000, currency: 'USD' },
      interval: { unit: 'second', count: 4 },
    });
    await waitFor(
      'the first charge, by the billing worker over mTLS',
      async () =>
        (await http<{ items: unknown[] }>('GET', `/v1/subscriptions/${id}/charges`)).items.length >
        0,
      90_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack?.output().slice(-6_000) ?? ''}`);
    });
    const purchase = await http<{ counted: boolean }>(
      'POST',
      `/v1/customers/${customerId}/purchases`,
      { purchaseId: 'order-1', total: 2_500, currency: 'USD' },
    );
    expect(purchase.counted).toBe(true);
    expect(await http('GET', `/v1/customers/${customerId}/loyalty`)).toMatchObject({
      balance: expect.any(Number) as unknown,
    });

    // A worker with another CA's certificate: refused, said in one line, never polling.
    const stranger = spawnCollecting(process.execPath, appSourceArgs('loyalty-worker'), {
      cwd: REPO_ROOT,
      env: cleanStackEnv({
        TEMPORAL_ADDRESS: address,
        ...clientTls(pki.strangerCert, pki.strangerKey),
        CASSANDRA_CONTACT_POINTS: `${cassandraHost}:${cassandraPort}`,
        CASSANDRA_KEYSPACE: `mtls_${run}`,
        REPOSITORY_MIGRATE: 'false',
        // Info: "worker polling" would show if it ever connected.
        LOG_LEVEL: 'info',
      }),
    });
    try {
      await waitFor(
        'the refusal',
        () => /refuses the client certificate/.test(stranger.output()),
        30_000,
      );
    } finally {
      stranger.child.kill('SIGKILL');
    }
    expect(stranger.output()).toMatch(
      /Temporal at 127\.0\.0\.1:\d+ (closed the connection during the TLS handshake: it )?refuses the client certificate/,
    );
    expect(stranger.output()).not.toMatch(/worker polling/);

    process.kill(-(stack.child.pid ?? 0), 'SIGINT');
    expect(await stack.exited).toBe(130);
  });
});
