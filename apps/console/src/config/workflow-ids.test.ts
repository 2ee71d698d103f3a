/**
 * @jest-environment node
 * @jest-environment-options {"customExportConditions": ["@invincible/source", "node", "require", "default"]}
 */
import { dirname, join, resolve } from 'node:path';
import { workflowIdOf } from './console-config';

/**
 * The console spells the workflow ids of libs/workflows' contracts (it cannot import that
 * sandbox lib into a browser bundle): this holds the two spellings together. The contracts are
 * loaded by path, like the API in the client generator, so the console does not depend on the
 * workflows lib in the Nx graph.
 */
const workspaceRoot = resolve(dirname(expect.getState().testPath ?? ''), '..', '..', '..', '..');

describe('workflow ids', () => {
  it('are those of the billing and loyalty contracts, for a tenant-qualified id', async () => {
    const billing = (await import(
      join(workspaceRoot, 'libs/workflows/src/billing/contract.ts')
    )) as {
      subscriptionWorkflowId: (id: string) => string;
    };
    const loyalty = (await import(
      join(workspaceRoot, 'libs/workflows/src/loyalty/contract.ts')
    )) as {
      loyaltyWorkflowId: (id: string) => string;
    };
    expect(workflowIdOf.subscription('dev', 'sub_1')).toBe(
      billing.subscriptionWorkflowId('dev~sub_1'),
    );
    expect(workflowIdOf.loyalty('acme', 'cus_ada')).toBe(loyalty.loyaltyWorkflowId('acme~cus_ada'));
  });
});
