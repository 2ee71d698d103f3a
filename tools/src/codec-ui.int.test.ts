import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { REPO_ROOT } from './paths';
import {
  cleanStackEnv,
  freePort,
  isAlive,
  spawnCollecting,
  waitFor,
  type Spawned,
} from './testing/processes';
import { testEnv } from './testing/test-env';

/**
 * `npm start` encrypts payloads (a key kept with the data) and points the Temporal Web UI at the
 * codec gateway, which decrypts through the API's `/v1/codec` with the stack's admin key: in a
 * real browser, a subscription's workflow page shows its input — the customer's email — in clear,
 * while Temporal stores ciphertext. A screenshot is kept (test-artifacts/) when it fails.
 */
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

describe('the local Web UI shows payloads decrypted (npm start, real browser)', () => {
  jest.setTimeout(240_000);
  let dataDir: string;
  let npm: Spawned | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'invincible-codec-ui-'));
  });
  afterAll(() => {
    const group = npm?.child.pid;
    if (group !== undefined && isAlive(group)) process.kill(-group, 'SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("shows a subscription's input, the customer's email, on its workflow page", async () => {
    const [temporalPort, uiPort, apiPort] = [await freePort(), await freePort(), await freePort()];
    const apiKey = `codec_${randomBytes(16).toString('hex')}`;
    npm = spawnCollecting('npm', ['start'], {
      cwd: REPO_ROOT,
      detached: true,
      env: cleanStackEnv({
        TEMPORAL_CLI_PATH: testEnv('TEMPORAL_CLI_PATH'),
        TEMPORAL_PORT: String(temporalPort),
        TEMPORAL_UI_PORT: String(uiPort),
        API_PORT: String(apiPort),
        API_KEYS: `ui:${apiKey}`,
        CASSANDRA_CONTACT_POINTS: testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        CASSANDRA_KEYSPACE: `codec_ui_${Date.now().toString(36)}`,
        INVINCIBLE_DATA_DIR: dataDir,
      }),
    });
    await waitFor(
      '"Invincible is up"',
      () => npm?.output().includes('Invincible is up') ?? false,
      150_000,
    ).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${npm?.output() ?? ''}`);
    });
    const api = (path: string, body: unknown) =>
      fetch(`http://127.0.0.1:${apiPort}${path}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${apiKey}`,
          'content-type': 'application/json',
          'idempotency-key': `codec-ui-${path}`,
        },
        body: JSON.stringify(body),
      });
    const email = `grace.${Date.now().toString(36)}@example.com`;
    expect((await api('/v1/customers', { id: 'cus_grace', email, name: 'Grace' })).status).toBe(
      201,
    );
    const created = await api('/v1/subscriptions', {
      customerId: 'cus_grace',
      paymentMethod: 'pm_card_visa',
      price: { amountMinor: 1_000, currency: 'USD' },
      interval: { unit: 'month', count: 1 },
    });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };

    const workflowId = `subscription:dev~${id}`;
    // What Temporal stores is ciphertext: the raw started event's input.
    const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
    const raw = await connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId },
    });
    await connection.close();
    const input =
      raw.history?.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(input?.metadata?.['encoding'] ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(input?.data ?? []).toString('latin1')).not.toContain(email);
    // A real browser on the UI's page of the subscription's workflow (tools/browser/page-shows.mjs).
    const url = `http://127.0.0.1:${uiPort}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`;
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = spawnCollecting(
      process.execPath,
      [
        join(REPO_ROOT, 'tools', 'browser', 'page-shows.mjs'),
        url,
        email,
        join(ARTIFACTS, 'codec-ui.png'),
      ],
      { cwd: REPO_ROOT },
    );
    expect({ exit: await browser.exited, output: browser.output() }).toEqual({
      exit: 0,
      output: '',
    });
  });
});
