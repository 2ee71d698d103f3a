import { FsTree } from 'nx/src/generators/tree';
import { join } from 'node:path';
import { domainGenerator } from './domain';

/** A Tree over the real workspace: writes stay in memory, so the real files are the fixture. */
const workspace = () => new FsTree(join(__dirname, '..', '..', '..', '..', '..'), false);

describe('the domain generator', () => {
  jest.setTimeout(60_000);

  it('writes the contract, workflow, activities and worker app, and wires them', async () => {
    const tree = workspace();
    await domainGenerator(tree, { name: 'shipping' });
    const written = tree.listChanges().map((c) => c.path);
    expect(written).toEqual(
      expect.arrayContaining([
        'libs/workflows/src/shipping/contract.ts',
        'libs/workflows/src/shipping/shipping-workflow.ts',
        'libs/activities/src/shipping/create-shipping-activities.ts',
        'apps/shipping-worker/src/main.ts',
        'apps/shipping-worker/jest.config.cjs',
        'apps/shipping-worker/jest.int.config.cjs',
        'apps/shipping-worker/test/histories/closed-case.json',
        'eslint.config.mjs',
        'tools/src/apps.ts',
        'README.md',
      ]),
    );
    expect(tree.read('libs/workflows/src/shipping/contract.ts', 'utf-8')).toContain(
      "export const SHIPPING_TASK_QUEUE = 'shipping';",
    );
    expect(tree.read('tools/src/apps.ts', 'utf-8')).toContain(
      "'shipping-worker': SHIPPING_TASK_QUEUE",
    );
    const pkg = JSON.parse(tree.read('apps/shipping-worker/package.json', 'utf-8') ?? '{}') as {
      invincible: unknown;
    };
    expect(pkg.invincible).toEqual({ app: 'worker', workflows: 'shipping' });
    // Part of the TypeScript solution at once, as `nx sync` would make it.
    const solution = JSON.parse(tree.read('tsconfig.json', 'utf-8') ?? '{}') as {
      references: { path: string }[];
    };
    expect(solution.references).toContainEqual({ path: './apps/shipping-worker' });
  });

  it.each([
    ['Shipping', /not a kebab-case name/],
    ['ship_ping', /not a kebab-case name/],
    ['billing', /reserved/],
    ['shared', /reserved/],
  ])('refuses %s and writes nothing', async (name, error) => {
    const tree = workspace();
    await expect(domainGenerator(tree, { name })).rejects.toThrow(error);
    expect(tree.listChanges()).toEqual([]);
  });

  it('refuses a name in use and writes nothing', async () => {
    const tree = workspace();
    tree.write('apps/parcel-worker/package.json', '{}');
    const before = tree.listChanges().length;
    await expect(domainGenerator(tree, { name: 'parcel' })).rejects.toThrow(/exists already/);
    expect(tree.listChanges()).toHaveLength(before);
  });
});
