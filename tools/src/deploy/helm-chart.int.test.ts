/**
 * The deployment chart (deploy/helm/invincible), rendered offline with `helm template` for its
 * defaults and for each example values file, and held to the rules the apps need in a cluster:
 * probes on the endpoints each app serves, non-root read-only containers, a termination grace
 * period longer than the app's own shutdown bound, images from one registry and tag, secrets by
 * reference only, a disruption budget per Deployment and, with KEDA on, a scaler per worker on
 * its own task queue. Every object rendered must also pass the schema of its kind (Kubernetes'
 * OpenAPI schemas and KEDA's CRDs, from npm: `schemaProblems`). The migration Job runs before
 * the apps, from the api image, with their database settings, and they then skip migrating.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SHUTDOWN_EXIT_MARGIN_MS } from '@invincible/temporal-runtime';
import { BILLING_TASK_QUEUE, LOYALTY_TASK_QUEUE } from '@invincible/workflows';
import { parse, parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../paths';
import { testEnv } from '../testing/test-env';
import { schemaProblems } from './kubernetes-schemas';

const CHART = join(REPO_ROOT, 'deploy', 'helm', 'invincible');
const APPS = ['api', 'billing-worker', 'loyalty-worker', 'console'] as const;
const WORKER_QUEUES: Record<string, string> = {
  'billing-worker': BILLING_TASK_QUEUE,
  'loyalty-worker': LOYALTY_TASK_QUEUE,
};
/** Variables that carry a secret: never a literal value in a manifest. */
const SECRET_VARIABLES = [
  'API_KEYS',
  'ADMIN_API_KEYS',
  'SIGNING_SECRET',
  'METRICS_TOKEN',
  'TEMPORAL_API_KEY',
  'PAYLOAD_CODEC_KEYS',
  'ASTRA_DB_APPLICATION_TOKEN',
  'ASTRA_DB_PASSWORD',
  'CASSANDRA_PASSWORD',
  'SMTP_URL',
];

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
interface Container {
  name: string;
  image: string;
  command?: string[];
  imagePullPolicy?: string;
  env?: EnvVar[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  securityContext?: {
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
  };
  resources?: { requests?: object; limits?: object };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: unknown;
  stringData?: unknown;
}
interface PodSpec {
  containers: Container[];
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  volumes?: { name: string; emptyDir?: object }[];
}

function helm(args: readonly string[]): string {
  return execFileSync(testEnv('HELM_PATH'), [...args], { encoding: 'utf8', cwd: REPO_ROOT });
}

/** `helm template` with a values file and/or extra flags (`--set …`). */
function render(valuesFile?: string, ...flags: string[]): K8sObject[] {
  const out = helm([
    'template',
    'inv',
    CHART,
    '--namespace',
    'billing',
    ...(valuesFile ? ['-f', valuesFile] : []),
    ...flags,
  ]);
  return parseAllDocuments(out)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

const podOf = (o: K8sObject) => (o.spec as { template: { spec: PodSpec } }).template.spec;
const envOf = (c: Container, name: string) => c.env?.find((e) => e.name === name);
const numberEnv = (c: Container, name: string) => {
  const value = envOf(c, name)?.value;
  if (value === undefined) throw new Error(`${c.name}: ${name} is not set`);
  return Number(value);
};

/** The variables of the business database (libs/astra-repo), which the migration Job needs too. */
const isDatabaseVariable = (name: string) =>
  /^(CASSANDRA|ASTRA_DB)_/.test(name) || name === 'OUTBOX_RETENTION_DAYS';
const databaseEnv = (c: Container) => (c.env ?? []).filter((e) => isDatabaseVariable(e.name));
/** The containers of the API and both workers: the apps with a database. */
const appContainers = (objects: K8sObject[]) =>
  objects
    .filter((o) => o.kind === 'Deployment')
    .flatMap((d) => podOf(d).containers)
    .filter((c) => c.name !== 'console');
const jobsOf = (objects: K8sObject[]) => objects.filter((o) => o.kind === 'Job');

/** How long after SIGTERM each app may take to exit, in ms, by the variables it is given. */
function shutdownBoundMs(c: Container): number {
  if (c.name === 'api')
    return numberEnv(c, 'SHUTDOWN_DELAY_MS') + numberEnv(c, 'SHUTDOWN_TIMEOUT_MS');
  if (c.name in WORKER_QUEUES)
    return numberEnv(c, 'WORKER_SHUTDOWN_GRACE_MS') + SHUTDOWN_EXIT_MARGIN_MS;
  return 0; // nginx: finishes in flight requests within seconds
}

const chart = parse(readFileSync(join(CHART, 'Chart.yaml'), 'utf8')) as { appVersion: string };

const cases: { name: string; file?: string; keda: boolean }[] = [
  { name: 'defaults', keda: false },
  {
    name: 'Temporal Cloud + Astra DB, KEDA on',
    file: join(CHART, 'examples', 'temporal-cloud-astra.yaml'),
    keda: true,
  },
  {
    name: 'self-hosted Temporal (mTLS) + Cassandra',
    file: join(CHART, 'examples', 'self-hosted-cassandra.yaml'),
    keda: false,
  },
];

describe.each(cases)('the Helm chart with $name', ({ file, keda }) => {
  jest.setTimeout(60_000);
  const values = (file ? parse(readFileSync(file, 'utf8')) : {}) as {
    image?: { registry?: string; tag?: string };
  };
  const registry = values.image?.registry ?? 'invincible';
  const tag = values.image?.tag ?? chart.appVersion;
  let objects: K8sObject[];
  let deployments: K8sObject[];
  /** Everything that runs a pod: the Deployments and the migration Job. */
  let workloads: K8sObject[];

  beforeAll(() => {
    objects = render(file);
    deployments = objects.filter((o) => o.kind === 'Deployment');
    workloads = [...deployments, ...jobsOf(objects)];
  });

  it('passes helm lint', () => {
    expect(() => helm(['lint', '--strict', CHART, ...(file ? ['-f', file] : [])])).not.toThrow();
  });

  it('renders only objects that pass the schema of their kind', () => {
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['Deployment', 'Service', 'PodDisruptionBudget', 'Job']),
    );
    expect(schemaProblems(objects)).toEqual([]);
  });

  it('renders one Deployment per app, each image from the one registry and tag', () => {
    expect(deployments.map((d) => podOf(d).containers[0]?.name).sort()).toEqual([...APPS].sort());
    for (const d of deployments) {
      for (const c of podOf(d).containers) {
        expect(c.image).toBe(`${registry}/${c.name}:${tag}`);
        expect(c.imagePullPolicy).toBeDefined();
        expect(c.resources?.requests).toBeDefined();
        expect(c.resources?.limits).toBeDefined();
      }
    }
  });

  it('probes every container on the endpoints its app serves', () => {
    const expected: Record<string, [string, string]> = {
      api: ['/readyz', '/healthz'],
      'billing-worker': ['/readyz', '/healthz'],
      'loyalty-worker': ['/readyz', '/healthz'],
      console: ['/console/', '/console/'],
    };
    for (const d of deployments) {
      for (const c of podOf(d).containers) {
        expect([c.readinessProbe?.httpGet?.path, c.livenessProbe?.httpGet?.path]).toEqual(
          expected[c.name],
        );
      }
    }
  });

  it('runs every container non-root, read-only, without privilege escalation or capabilities', () => {
    for (const d of workloads) {
      const pod = podOf(d);
      expect(pod.securityContext?.runAsNonRoot).toBe(true);
      // A numeric uid: the images name their user (`node`), which the kubelet cannot check.
      expect(pod.securityContext?.runAsUser).toBeGreaterThan(0);
      for (const c of pod.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'] },
        });
      }
    }
  });

  it('gives every pod a termination grace period longer than its app takes to stop', () => {
    for (const d of deployments) {
      const pod = podOf(d);
      for (const c of pod.containers) {
        expect((pod.terminationGracePeriodSeconds ?? 30) * 1000).toBeGreaterThan(
          shutdownBoundMs(c),
        );
      }
    }
  });

  it('renders no Secret and passes every secret variable by reference', () => {
    expect(objects.filter((o) => o.kind === 'Secret' || o.data || o.stringData)).toEqual([]);
    for (const d of workloads) {
      for (const c of podOf(d).containers) {
        for (const e of c.env ?? []) {
          if (SECRET_VARIABLES.includes(e.name)) {
            expect({ name: e.name, value: e.value }).toEqual({ name: e.name, value: undefined });
            expect(e.valueFrom?.secretKeyRef?.name).toBeTruthy();
          }
        }
      }
    }
  });

  it('migrates the schema in a hook Job before the apps, and the apps then skip it', () => {
    const jobs = jobsOf(objects);
    expect(jobs).toHaveLength(1);
    const job = jobs[0] as K8sObject;
    expect(job.metadata.annotations).toMatchObject({
      'helm.sh/hook': 'pre-install,pre-upgrade',
      'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded',
    });
    expect(job.metadata.annotations?.['helm.sh/hook-weight']).toMatch(/^-?\d+$/);
    const pod = podOf(job);
    const [migrate, ...others] = pod.containers;
    expect(others).toEqual([]);
    const api = deployments.find((d) => podOf(d).containers[0]?.name === 'api');
    // The same image and tag as the API, and the same user: `node migrate.js` ships in it.
    expect(migrate?.image).toBe(podOf(api as K8sObject).containers[0]?.image);
    expect(migrate?.command).toEqual(['node', 'migrate.js']);
    expect(pod.securityContext?.runAsUser).toBe(podOf(api as K8sObject).securityContext?.runAsUser);
    expect(pod.restartPolicy).toBe('Never');
    expect(migrate?.resources?.limits).toBeDefined();
    // The read-only root filesystem leaves /tmp to an emptyDir.
    expect(migrate?.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: {} });

    // The same keyspace, credentials and settings as every app, and the apps leave it alone.
    const apps = appContainers(objects);
    expect(apps).toHaveLength(3);
    expect(databaseEnv(migrate as Container).length).toBeGreaterThanOrEqual(3);
    for (const c of apps) {
      expect(databaseEnv(c)).toEqual(databaseEnv(migrate as Container));
      expect(envOf(c, 'REPOSITORY_MIGRATE')?.value).toBe('false');
    }
    // Nothing else: the migration talks to the database only.
    expect(
      (migrate?.env ?? []).filter((e) => !isDatabaseVariable(e.name)).map((e) => e.name),
    ).toEqual(['NODE_ENV', 'MIGRATE_TIMEOUT_MS']);

    // Kubernetes stops the Job only after migrate.js has given up waiting for the database.
    const spec = job.spec as { activeDeadlineSeconds?: number; backoffLimit?: number };
    expect((spec.activeDeadlineSeconds ?? 0) * 1000).toBeGreaterThan(
      numberEnv(migrate as Container, 'MIGRATE_TIMEOUT_MS'),
    );
    expect(spec.backoffLimit).toBeGreaterThanOrEqual(0);
  });

  it('covers every Deployment with a PodDisruptionBudget', () => {
    const pdbs = objects.filter((o) => o.kind === 'PodDisruptionBudget');
    for (const d of deployments) {
      const selector = (d.spec as { selector: { matchLabels: object } }).selector.matchLabels;
      expect(
        pdbs.filter(
          (p) =>
            JSON.stringify(
              (p.spec as { selector: { matchLabels: object } }).selector.matchLabels,
            ) === JSON.stringify(selector),
        ),
      ).toHaveLength(1);
    }
  });

  it(
    keda ? 'scales each worker with KEDA on its own task queue' : 'renders no KEDA objects',
    () => {
      const scaled = objects.filter((o) => o.kind === 'ScaledObject');
      if (!keda) {
        expect(objects.filter((o) => o.apiVersion.startsWith('keda.sh/'))).toEqual([]);
        return;
      }
      const appOf = (d: K8sObject) => podOf(d).containers[0]?.name ?? '';
      const workers = deployments.filter((d) => appOf(d) in WORKER_QUEUES);
      expect(workers).toHaveLength(2);
      expect(scaled).toHaveLength(workers.length);
      for (const w of workers) {
        const app = appOf(w);
        const so = scaled.find(
          (s) =>
            (s.spec as { scaleTargetRef: { name: string } }).scaleTargetRef.name ===
            w.metadata.name,
        );
        const trigger = (
          so?.spec as { triggers: { type: string; metadata: Record<string, string> }[] }
        ).triggers[0];
        expect(trigger?.type).toBe('temporal');
        expect(trigger?.metadata['taskQueue']).toBe(WORKER_QUEUES[app]);
        // KEDA owns the replica count.
        expect((w.spec as { replicas?: number }).replicas).toBeUndefined();
      }
    },
  );
});

describe('the Helm chart with other values', () => {
  jest.setTimeout(60_000);

  it('without the migration Job, lets every app migrate at start', () => {
    const objects = render(undefined, '--set', 'migration.enabled=false');
    expect(schemaProblems(objects)).toEqual([]);
    expect(jobsOf(objects)).toEqual([]);
    const apps = appContainers(objects);
    expect(apps).toHaveLength(3);
    for (const c of apps) expect(envOf(c, 'REPOSITORY_MIGRATE')?.value).toBe('true');
  });

  it('derives the Job deadline from the migration timeout, written as an integer', () => {
    // --set-json numbers are floats, as a values file's are: 1800000 must not print as 1.8e+06.
    const objects = render(
      undefined,
      '--set-json',
      'migration={"timeoutMs":1800000,"runSeconds":120}',
    );
    const job = jobsOf(objects)[0] as K8sObject;
    expect(envOf(podOf(job).containers[0] as Container, 'MIGRATE_TIMEOUT_MS')?.value).toBe(
      '1800000',
    );
    expect((job.spec as { activeDeadlineSeconds: number }).activeDeadlineSeconds).toBe(1800 + 120);
  });

  it('passes the schemas with KEDA on over mTLS, and carries the outbox retention to the Job', () => {
    const objects = render(
      join(CHART, 'examples', 'self-hosted-cassandra.yaml'),
      '--set',
      'autoscaling.keda.enabled=true,database.outboxRetentionDays=30',
    );
    expect(objects.map((o) => o.kind)).toEqual(
      expect.arrayContaining(['ScaledObject', 'TriggerAuthentication']),
    );
    expect(schemaProblems(objects)).toEqual([]);
    for (const c of [
      ...appContainers(objects),
      podOf(jobsOf(objects)[0] as K8sObject).containers[0],
    ])
      expect(envOf(c as Container, 'OUTBOX_RETENTION_DAYS')?.value).toBe('30');
  });

  it('fails the schema check when a value breaks a manifest, naming the field', () => {
    const objects = render(undefined, '--set-string', 'api.replicas=two,api.port=http-port');
    expect(schemaProblems(objects)).toEqual([
      'Deployment inv-invincible-api: spec.replicas must be integer',
      'Deployment inv-invincible-api: spec.template.spec.containers[0].ports[0].containerPort must be integer',
    ]);
  });
});
