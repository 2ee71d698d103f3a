import { FsTree } from 'nx/src/generators/tree';
import { join } from 'node:path';
import { domainGenerator } from '../domain/domain';
import { serviceGenerator } from './service';

/** A Tree over the real workspace: writes stay in memory, so the real files are the fixture. */
const workspace = () => new FsTree(join(__dirname, '..', '..', '..', '..', '..'), false);

const read = (tree: FsTree, path: string) => tree.read(path, 'utf-8') ?? '';

describe('the service generator', () => {
  jest.setTimeout(60_000);

  it('writes a shared service reading billing through its contract, with the deploy marker', async () => {
    const tree = workspace();
    await serviceGenerator(tree, { name: 'partner-gateway' });
    const written = tree.listChanges().map((c) => c.path);
    expect(written).toEqual(
      expect.arrayContaining([
        'apps/partner-gateway/Dockerfile',
        'apps/partner-gateway/src/main.ts',
        'apps/partner-gateway/src/app.ts',
        'apps/partner-gateway/src/app.test.ts',
        'apps/partner-gateway/src/config.ts',
        'apps/partner-gateway/src/partner-gateway-workflows.ts',
        'apps/partner-gateway/jest.config.cjs',
        'README.md',
      ]),
    );
    // A shared service is not any domain's: the root lint config is left as it is.
    expect(written).not.toContain('eslint.config.mjs');
    const pkg = JSON.parse(read(tree, 'apps/partner-gateway/package.json')) as {
      invincible: unknown;
      nx: { tags: string[] };
    };
    expect(pkg.invincible).toEqual({ app: 'service' });
    expect(pkg.nx.tags).toEqual(['type:app', 'domain:shared']);
    expect(read(tree, 'apps/partner-gateway/src/partner-gateway-workflows.ts')).toContain(
      "from '@invincible/workflows/billing/contract'",
    );
    expect(read(tree, 'apps/partner-gateway/src/app.ts')).toContain("'/subscriptions/:id'");
    expect(read(tree, 'apps/partner-gateway/jest.config.cjs')).toContain(
      "displayName: 'partner-gateway'",
    );
    expect(read(tree, 'README.md')).toMatch(/\| `partner-gateway` +\| shared +\| `app` +\|/);
  });

  it("tags a domain's service with it and adds its sources to that domain's lint files", async () => {
    const tree = workspace();
    await serviceGenerator(tree, { name: 'points-desk', domain: 'loyalty' });
    expect(read(tree, 'apps/points-desk/package.json')).toContain('"domain:loyalty"');
    expect(read(tree, 'apps/points-desk/src/points-desk-workflows.ts')).toContain('getPointsQuery');
    // Quoted or not: formatFiles' prettier does not load under jest.
    expect(read(tree, 'apps/points-desk/eslint.config.mjs')).toMatch(
      /domainFiles: \{ '?loyalty'?: \['src\/\*\*\/\*\.ts'\] \}/,
    );
    expect(read(tree, 'eslint.config.mjs')).toMatch(
      /loyalty: \[[^\]]*'apps\/points-desk\/src\/\*\*\/\*\.ts'/,
    );
  });

  it("reads a generated domain's contract by the names the domain generator writes", async () => {
    const tree = workspace();
    await domainGenerator(tree, { name: 'shipping' });
    await serviceGenerator(tree, { name: 'shipping-desk', domain: 'shipping' });
    const port = read(tree, 'apps/shipping-desk/src/shipping-desk-workflows.ts');
    expect(port).toContain("from '@invincible/workflows/shipping/contract'");
    expect(port).toContain('shippingStatusQuery');
    expect(port).toContain('ShippingView');
  });

  it.each([
    ['PartnerGateway', {}, /not a kebab-case name/],
    ['api', {}, /reserved/],
    ['billing-worker', {}, /exists already/],
    ['money', {}, /is a project already/],
    ['partner-gateway', { domain: 'shipping' }, /no such domain/],
    ['partner-gateway', { domain: '../billing' }, /no such domain/],
  ])('refuses %s %j and writes nothing', async (name, options, error) => {
    const tree = workspace();
    await expect(serviceGenerator(tree, { name, ...options })).rejects.toThrow(error);
    expect(tree.listChanges()).toEqual([]);
  });
});
