import { schemaProblems } from './kubernetes-schemas';

function deployment(spec: Record<string, unknown> = {}, port: unknown = 3000) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', labels: { app: 'api' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'api' } },
      template: {
        metadata: { labels: { app: 'api' } },
        spec: {
          containers: [
            { name: 'api', image: 'invincible/api:1', ports: [{ containerPort: port }] },
          ],
        },
      },
      ...spec,
    },
  };
}

function scaledObject(spec: Record<string, unknown>) {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: 'worker' },
    spec,
  };
}

describe('schemaProblems', () => {
  it('accepts a valid Deployment and a valid KEDA ScaledObject', () => {
    expect(
      schemaProblems([
        deployment(),
        scaledObject({
          scaleTargetRef: { name: 'worker' },
          minReplicaCount: 1,
          triggers: [{ type: 'temporal', metadata: { taskQueue: 'billing' } }],
        }),
      ]),
    ).toEqual([]);
  });

  it('names the field when a number is a string', () => {
    expect(schemaProblems([deployment({ replicas: 'two' })])).toEqual([
      'Deployment api: spec.replicas must be integer',
    ]);
    expect(schemaProblems([deployment({}, 'http-port')])).toEqual([
      'Deployment api: spec.template.spec.containers[0].ports[0].containerPort must be integer',
    ]);
  });

  it('names a missing required field, in Kubernetes kinds and in KEDA kinds', () => {
    const withoutSelector: Record<string, unknown> = { ...deployment().spec };
    delete withoutSelector['selector'];
    expect(
      schemaProblems([{ ...deployment(), spec: withoutSelector }, scaledObject({ triggers: [] })]),
    ).toEqual([
      'Deployment api: spec must have required property selector',
      'ScaledObject worker: spec must have required property scaleTargetRef',
    ]);
  });

  it('refuses a kind it has no schema for instead of skipping it', () => {
    expect(
      schemaProblems([
        { apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } },
        { apiVersion: 'apps/v1', kind: 'DeploymentSpec', metadata: { name: 'd' } },
        { apiVersion: 'apps/v1', kind: 'Pod', metadata: { name: 'p' } },
        { metadata: { name: 'bare' } },
      ]),
    ).toEqual([
      'Widget w: no schema for example.com/v1 Widget',
      'DeploymentSpec d: no schema for apps/v1 DeploymentSpec',
      'Pod p: no schema for apps/v1 Pod',
      'undefined bare: apiVersion and kind are required strings',
    ]);
  });
});
