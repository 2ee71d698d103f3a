/**
 * Manifests held to the schemas the API server applies: Kubernetes' own OpenAPI schemas
 * (kubernetes-models) and KEDA's CRD schemas (@kubernetes-models/keda), compiled into npm
 * packages, so the check runs offline. What they catch is what `kubectl apply` would refuse: a
 * string where an integer belongs, a missing required field, a value outside an enum. A field
 * name the schema does not know passes, as it does in non-strict validation.
 */
import * as kedaV1alpha1 from '@kubernetes-models/keda/keda.sh/v1alpha1';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as batchV1 from 'kubernetes-models/batch/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';

/**
 * The API groups whose kinds can be checked, by apiVersion. A manifest of any other apiVersion
 * is a problem, never skipped: a chart that starts rendering a new group adds its module here.
 */
const GROUPS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  v1: coreV1,
  'apps/v1': appsV1,
  'batch/v1': batchV1,
  'policy/v1': policyV1,
  'keda.sh/v1alpha1': kedaV1alpha1,
};

interface Model {
  validate(): void;
}
interface ModelClass {
  new (data: unknown): Model;
  readonly prototype: Model;
  readonly apiVersion?: unknown;
  readonly kind?: unknown;
}
/** What a failed `validate()` throws: ajv's errors, each at a JSON pointer. */
interface SchemaError {
  readonly errors?: readonly { readonly instancePath?: string; readonly message?: string }[];
}

/** The model of a top-level kind: its class carries its own apiVersion and kind and a validator. */
function modelOf(apiVersion: string, kind: string): ModelClass | undefined {
  const candidate = GROUPS[apiVersion]?.[kind];
  if (typeof candidate !== 'function') return undefined;
  const model = candidate as ModelClass;
  // The group modules also export the nested types (DeploymentSpec…), and a class without a
  // validator of its own would accept anything.
  const topLevel = model.apiVersion === apiVersion && model.kind === kind;
  return topLevel && Object.hasOwn(model.prototype, 'validate') ? model : undefined;
}

/** `/spec/template/spec/containers/0/image` → `spec.template.spec.containers[0].image` */
function fieldPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce(
      (path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part),
      '',
    );
}

/**
 * Checks each object against the schema of its apiVersion and kind.
 *
 * @returns one line per problem, `<Kind> <name>: <field> <what is wrong>`, e.g.
 *   `Deployment inv-invincible-api: spec.replicas must be integer`; empty when every object is valid.
 */
export function schemaProblems(objects: readonly unknown[]): string[] {
  return objects.flatMap((object) => {
    const { apiVersion, kind, metadata } = (object ?? {}) as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown };
    };
    const name = `${String(kind)} ${String(metadata?.name)}`;
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
      return [`${name}: apiVersion and kind are required strings`];
    }
    const model = modelOf(apiVersion, kind);
    if (!model) return [`${name}: no schema for ${apiVersion} ${kind}`];
    try {
      new model(object).validate();
      return [];
    } catch (error) {
      const errors = (error as SchemaError).errors;
      if (!errors) throw error;
      return errors.map(
        (e) =>
          `${name}: ${fieldPath(e.instancePath ?? '') || '(the object)'} ${e.message ?? 'is invalid'}`,
      );
    }
  });
}
