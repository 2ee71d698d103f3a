/**
 * @jest-environment node
 * @jest-environment-options {"customExportConditions": ["@invincible/source", "node", "require", "default"]}
 */
import { execFile } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { promisify } from 'node:util';
import { apiDocument } from './api-document';

const consoleRoot = resolve(dirname(expect.getState().testPath ?? ''), '..');
const workspaceRoot = resolve(consoleRoot, '..', '..');

describe('the generated API client', () => {
  it('is current: schema.gen.ts is what the API’s route specs generate now', async () => {
    // In a process of its own: openapi-typescript's dependencies are ES modules, which Jest's
    // CommonJS runtime cannot load.
    const run = promisify(execFile)(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        'scripts/generate-client.ts',
        '--check',
      ],
      { cwd: consoleRoot, timeout: 60_000 },
    );
    const outcome = await run.then(
      ({ stdout }) => ({ ok: true, output: stdout }),
      (error: { stdout?: string; stderr?: string; message: string }) => ({
        ok: false,
        output: `${error.stderr ?? ''}${error.stdout ?? ''}` || error.message,
      }),
    );
    if (!outcome.ok) throw new Error(outcome.output.trim());
    expect(outcome.output).toContain('schema.gen.ts is up to date');
  }, 60_000);

  it('is built from the document the API serves, with every operation the console calls', async () => {
    const document = (await apiDocument(workspaceRoot)) as {
      paths: Record<string, Record<string, { operationId?: string }>>;
    };
    const operations = Object.values(document.paths).flatMap((item) =>
      Object.values(item).map((operation) => operation.operationId),
    );
    expect(operations).toEqual(
      expect.arrayContaining([
        'listCustomers',
        'createCustomer',
        'getCustomer',
        'createSubscription',
        'getSubscription',
        'listCustomerSubscriptions',
        'listSubscriptionCharges',
        'cancelSubscription',
        'changeSubscriptionPrice',
        'pauseSubscription',
        'resumeSubscription',
        'recordPurchase',
        'listPurchases',
        'getLoyaltyBalance',
        'listCoupons',
        'redeemCoupon',
        'listEmails',
        'getOverview',
      ]),
    );
  });
});
