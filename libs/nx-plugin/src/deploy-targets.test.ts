import { readAppMarker } from './app-marker';
import { deployTargets } from './deploy-targets';

describe('the inferred deploy targets', () => {
  it('give a worker its workflow bundle, built with the rest', () => {
    const targets = deployTargets('apps/billing-worker', { app: 'worker', workflows: 'billing' });
    expect(targets['bundle-workflows']?.command).toBe(
      'node --conditions=@invincible/source --import tsx tools/src/bundle-workflows.ts billing dist/apps/billing-worker/workflow-bundle.js',
    );
    expect(targets['build']?.dependsOn).toEqual([
      'compile',
      'prune-lockfile',
      'copy-workspace-modules',
      'bundle-workflows',
    ]);
  });

  it('give a service no workflow bundle', () => {
    const targets = deployTargets('apps/api', { app: 'service' });
    expect(Object.keys(targets)).toEqual(['prune-lockfile', 'copy-workspace-modules', 'build']);
    expect(targets['build']?.outputs).toEqual(['{workspaceRoot}/dist/apps/api']);
  });
});

describe('the app marker', () => {
  it('is optional', () => {
    expect(readAppMarker({ name: 'x' }, 'apps/x/package.json')).toBeUndefined();
  });

  it('reads a worker and a service', () => {
    expect(readAppMarker({ invincible: { app: 'worker', workflows: 'loyalty' } }, 'p')).toEqual({
      app: 'worker',
      workflows: 'loyalty',
    });
    expect(readAppMarker({ invincible: { app: 'service' } }, 'p')).toEqual({ app: 'service' });
  });

  it.each([
    [{ app: 'worker' }],
    [{ app: 'worker', workflows: 'Billing' }],
    [{ app: 'service', workflows: 'billing' }],
    [{ app: 'job' }],
    [null],
  ])('refuses %j, naming the file', (block) => {
    expect(() => readAppMarker({ invincible: block }, 'apps/x/package.json')).toThrow(
      /^apps\/x\/package\.json: "invincible" must be/,
    );
  });
});
