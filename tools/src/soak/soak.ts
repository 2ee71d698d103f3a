/**
 * `npm run soak -- [--profile smoke|full|nodes] [--seed N] [--report DIR] [--no-build]`
 *
 * A bounded chaos soak of the running stack: its own Cassandra and Temporal (own ports, own data
 * directory), the built api and two replicas of each worker as separate supervised processes,
 * load only through the HTTP API, faults on a schedule (SIGKILL of workers, the API, Temporal,
 * Cassandra; SIGSTOP of Cassandra). Then it settles, checks every invariant from the tables and
 * the gateway's record, writes a report and exits non-zero if any invariant broke.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createRepository, type Repository } from '@invincible/astra-repo';
import {
  detailsQuery,
  RECONCILE_TASK_QUEUE,
  RECONCILE_WORKFLOW_TYPE,
  reconcileWorkflowId,
  subscriptionWorkflowId,
  type ReconcileInput,
  type ReconcileResult,
} from '@invincible/workflows';
import { payloadCodecFromEnv } from '@invincible/temporal-runtime';
import { Client, Connection } from '@temporalio/client';
import { httpOk } from '../apps';
import { isolatedStackConfig } from '../config';
import { loadExeca } from '../execa';
import { createLogger, formatDuration } from '../log';
import { REPO_ROOT } from '../paths';
import { repairKeyspace, waitForRing, type KeyspaceRepair } from '../servers/nodetool';
import type { ProcessSpec } from '../servers/process-spec';
import { endpoints, provision, serverSpecs } from '../stack';
import { freeIsolatedPorts, freePort } from '../testing/processes';
import { checkStatuses, type Violation } from './checks';
import { SoakClient, type Attempt } from './client';
import { Fleet } from './fleet';
import { emptyKnowledge } from './knowledge';
import {
  createCustomers,
  prng,
  runPurchases,
  runSubscriptions,
  windDown,
  type LoadContext,
} from './load';
import { observe, stuckWorkflows } from './observe';
import { PROFILES, type FaultPlan, type SoakProfile } from './profiles';
import {
  CLUSTER_INVARIANT,
  INVARIANTS,
  terminalReport,
  writeReport,
  type FaultRecord,
  type SoakReport,
} from './report';

const log = createLogger('soak');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
const APPS = ['api', 'billing-worker', 'loyalty-worker'] as const;
const WORKERS = ['billing-worker-1', 'billing-worker-2', 'loyalty-worker-1', 'loyalty-worker-2'];
const KEYSPACE = 'soak';
const COUPON_THRESHOLD = 10_000;

async function main(argv: readonly string[]): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    options: {
      profile: { type: 'string', default: 'smoke' },
      seed: { type: 'string' },
      report: { type: 'string' },
      'no-build': { type: 'boolean', default: false },
    },
  });
  const profile = PROFILES[values.profile as SoakProfile['name']] as SoakProfile | undefined;
  if (!profile) {
    process.stderr.write(`--profile takes ${Object.keys(PROFILES).join(' or ')}\n`);
    return 2;
  }
  const seed = values.seed ? Number(values.seed) : randomBytes(4).readUInt32BE();
  if (!Number.isInteger(seed) || seed < 0) {
    process.stderr.write('--seed takes a non-negative integer\n');
    return 2;
  }
  const t0 = Date.now();
  const reportDir =
    values.report ??
    join(REPO_ROOT, '.stack', 'soak', new Date(t0).toISOString().replace(/[:.]/g, '-'));
  mkdirSync(reportDir, { recursive: true });
  log.info(`profile ${profile.name}, seed ${seed}; report and logs in ${reportDir}`);

  if (!values['no-build']) await buildApps();
  for (const app of APPS) {
    if (!existsSync(join(REPO_ROOT, 'dist', 'apps', app, 'main.js')))
      throw new Error(
        `dist/apps/${app} is not built: run \`npx nx run-many -t build\` or drop --no-build`,
      );
  }

  const dataDir = mkdtempSync(join(tmpdir(), 'invincible-soak-'));
  const ports = { ...(await freeIsolatedPorts()), api: await freePort() };
  const env = process.env;
  const cluster = profile.cluster;
  const config = isolatedStackConfig(env, {
    dataDir,
    ports,
    temporalPersistence: cluster ? 'cassandra' : env['TEMPORAL_PERSISTENCE'],
    ...(cluster ? { cluster } : {}),
  });
  const provisioned = await provision(
    config,
    { temporal: true, cassandra: true, testServer: false },
    env,
    log,
  );
  const out = createWriteStream(join(reportDir, 'processes.log'));
  const fleet = new Fleet(log, out);
  const stopping = async () => {
    await fleet.stopAll();
    out.end();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = () => void stopping().then(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    // Servers: Cassandra first (Temporal on Cassandra needs it), no Web UI.
    for (const spec of serverSpecs(config, provisioned, { ephemeral: false, dataDir, env, log })) {
      if (spec.name === 'temporal-ui') continue;
      await fleet.start(spec.name, () => spec);
    }
    const temporalAddress = `127.0.0.1:${ports.temporal}`;
    const where = endpoints(config);
    const contactPoints = (where.cassandraContactPoints ?? '').split(',');
    const replicationFactor = where.cassandraReplicationFactor ?? 1;
    const apiKey = `soak_${randomBytes(16).toString('hex')}`;
    // As a production deployment runs: payloads encrypted, under PAYLOAD_CODEC_KEYS(_FILE) when
    // set, else under a key made for this soak. The settle phase's client decrypts with it.
    const codecEnv = env['PAYLOAD_CODEC_KEYS_FILE']
      ? { PAYLOAD_CODEC_KEYS_FILE: env['PAYLOAD_CODEC_KEYS_FILE'] }
      : {
          PAYLOAD_CODEC_KEYS:
            env['PAYLOAD_CODEC_KEYS'] || `soak:${randomBytes(32).toString('base64')}`,
        };
    const codec = payloadCodecFromEnv(codecEnv);
    if (!codec.ok) throw new Error(codec.issues.join('\n'));
    const payloadCodecs = codec.codec ? [codec.codec] : [];
    log.info(`payloads encrypted with key ${codec.codec?.activeKeyId ?? '(none)'}`);
    const appEnv = {
      ...codecEnv,
      PATH: env['PATH'],
      HOME: env['HOME'],
      NODE_ENV: 'development',
      FORCE_COLOR: '0',
      TEMPORAL_ADDRESS: temporalAddress,
      TEMPORAL_NAMESPACE: config.temporal.namespace,
      CASSANDRA_CONTACT_POINTS: contactPoints.join(','),
      CASSANDRA_LOCAL_DATA_CENTER: 'datacenter1',
      CASSANDRA_KEYSPACE: KEYSPACE,
      CASSANDRA_REPLICATION_FACTOR: String(replicationFactor),
    };
    const api = (): ProcessSpec => ({
      name: 'api',
      command: process.execPath,
      args: [join(REPO_ROOT, 'dist', 'apps', 'api', 'main.js')],
      cwd: REPO_ROOT,
      env: {
        ...appEnv,
        PORT: String(ports.api),
        HOST: '127.0.0.1',
        API_KEYS: `soak:${apiKey}`,
        RATE_LIMIT_PER_MINUTE: '1000000',
        LOG_LEVEL: 'warn',
      },
      ports: [{ port: ports.api, role: 'soak API' }],
      ready: {
        description: 'GET /readyz → 200',
        check: () => httpOk(`http://127.0.0.1:${ports.api}/readyz`),
        timeoutMs: 120_000,
      },
      stopTimeoutMs: 35_000,
    });
    const worker = (name: string) => (): ProcessSpec => {
      const app = name.replace(/-\d$/, '');
      const since = Date.now();
      return {
        name,
        command: process.execPath,
        args: [join(REPO_ROOT, 'dist', 'apps', app, 'main.js')],
        cwd: REPO_ROOT,
        env: {
          ...appEnv,
          LOG_LEVEL: 'info',
          ...(app === 'billing-worker'
            ? { PAYMENTS_SANDBOX_FAILURE_RATE: String(profile.gatewayFailureRate) }
            : {}),
        },
        ready: {
          description: 'its "worker polling" line',
          check: () =>
            Promise.resolve(fleet.linesOf(name, since).some((l) => l.includes('worker polling'))),
          timeoutMs: 120_000,
        },
        stopTimeoutMs: 35_000,
      };
    };
    await fleet.start('api', api);
    await Promise.all(WORKERS.map((name) => fleet.start(name, worker(name))));
    const deaths: { at: number; process: string }[] = [];
    fleet.watch((event) => {
      log.warn(`${event.process} died on its own: restarting it`);
      deaths.push({ at: event.at, process: event.process });
    });
    const stackReady = Date.now();
    log.info(`stack up in ${formatDuration(stackReady - t0)}; load for ${profile.loadSeconds} s`);

    // Load and faults.
    const attempts: Attempt[] = [];
    const knowledge = emptyKnowledge();
    const client = new SoakClient({
      baseUrl: `http://127.0.0.1:${ports.api}`,
      apiKey,
      record: (a) => attempts.push(a),
    });
    const random = prng(seed);
    const runId = seed.toString(36);
    await createCustomers({
      client,
      profile,
      knowledge,
      random,
      runId,
      startedAt: Date.now(),
      endsAt: Date.now(),
    });
    const startedAt = Date.now();
    const ctx: LoadContext = {
      client,
      profile,
      knowledge,
      random,
      runId,
      startedAt,
      endsAt: startedAt + profile.loadSeconds * 1_000,
    };
    const [, , faults] = await Promise.all([
      runSubscriptions(ctx),
      runPurchases(ctx),
      runFaults(fleet, profile.faults, ctx, ports.api, prng(seed ^ 0x5eed), Boolean(cluster)),
    ]);
    await windDown(ctx);
    const loadDone = Date.now();
    log.info(
      `load done in ${formatDuration(loadDone - startedAt)}; subscriptions canceled; settling`,
    );

    // Settle: check until every invariant holds or the settle time is up.
    const repository = createRepository({
      backend: 'cassandra',
      contactPoints,
      localDataCenter: 'datacenter1',
      keyspace: KEYSPACE,
      replicationFactor,
    });
    const connection = await Connection.connect({ address: temporalAddress });
    const temporal = new Client({
      connection,
      namespace: config.temporal.namespace,
      dataConverter: { payloadCodecs },
    });
    const graceMs = Math.max(2 * profile.periodSeconds * 1_000, 10_000);
    let violations: Violation[] = [];
    let observation: Awaited<ReturnType<typeof observe>> | undefined;
    const settleEnds = Date.now() + profile.settleSeconds * 1_000;
    for (let round = 0; ; round++) {
      const settledAt = Date.now();
      observation = await observe(
        repository,
        knowledge,
        { settledAt, graceMs },
        COUPON_THRESHOLD,
        // API_KEYS are keys of the tenant `dev` (API_KEYS_TENANT's default).
        'dev',
      );
      violations = [...observation.violations, ...(await stuckWorkflows(temporal, 8))];
      if (violations.length === 0 || Date.now() > settleEnds) break;
      if (round % 3 === 0)
        log.info(`${violations.length} open (${violations[0]?.invariant}); still settling`);
      await sleep(5_000);
    }
    const settled = Date.now();
    // The production check must agree: a reconcile run over the same tables finds nothing.
    const reconciled = await reconcile(temporal, repository, runIdOf(seed, t0));
    violations.push(...reconciled.violations);
    const diagnostics = await diagnose(temporal, repository, violations);
    await connection.close();
    await repository.close();

    // A cluster: every node back in the ring, then each keyspace repaired and previewed in sync.
    const repairs: KeyspaceRepair[] = [];
    if (cluster && provisioned.java && provisioned.cassandraClasspath) {
      const runtime = { java: provisioned.java, classpath: provisioned.cassandraClasspath };
      const t = config.temporal;
      const keyspaces = [
        KEYSPACE,
        ...(t.mode === 'local' && t.persistence.kind === 'cassandra'
          ? [t.persistence.keyspace]
          : []),
      ];
      try {
        await waitForRing(runtime, ports.jmx, cluster.cassandraNodes);
        for (const keyspace of keyspaces) {
          const repair = await repairKeyspace(runtime, ports.jmx, keyspace);
          repairs.push(repair);
          log.info(
            `${keyspace}: ${repair.before.inSync ? 'in sync before repair' : `before repair ${repair.before.streaming} to stream`}; ` +
              `repaired in ${formatDuration(repair.repairMs)}; ${repair.after.inSync ? 'in sync' : `STILL ${repair.after.streaming} out of sync`}`,
          );
          if (!repair.after.inSync)
            violations.push({
              invariant: CLUSTER_INVARIANT,
              entity: keyspace,
              detail: `after a full repair a preview still streams ${repair.after.streaming}`,
            });
        }
      } catch (error) {
        violations.push({
          invariant: CLUSTER_INVARIANT,
          entity: 'cluster',
          detail: error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error),
        });
      }
    }

    const statuses: Record<string, number> = {};
    for (const a of attempts) statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1;
    violations.push(...checkStatuses(statuses));
    for (const d of deaths)
      violations.push({
        invariant: 'no process died on its own',
        entity: d.process,
        detail: `at ${((d.at - startedAt) / 1_000).toFixed(0)} s`,
      });
    for (const g of knowledge.gaveUp)
      violations.push({
        invariant: 'every request answered',
        entity: g.route,
        detail: `no answer within the client's budget at ${((g.at - startedAt) / 1_000).toFixed(0)} s`,
      });
    for (const s of knowledge.surprises)
      violations.push({
        invariant: 'answers as documented',
        entity: s.route,
        detail: `${s.status} ${s.detail}`,
      });

    const purchaseAnswers = knowledge.purchases.filter((p) => p.latencyMs !== undefined);
    const report: SoakReport = {
      profile: profile.name,
      seed,
      startedAt: new Date(t0).toISOString(),
      durations: {
        'stack start': stackReady - t0,
        load: loadDone - startedAt,
        settle: settled - loadDone,
        total: Date.now() - t0,
      },
      counts: {
        ...observation.counts,
        'HTTP attempts': attempts.length,
        faults: faults.length,
        'reconciliation rows checked': reconciled.checked,
      },
      statuses,
      faults: faults.map((f) => ({
        ...f,
        serviceGapMs: serviceGap(attempts, startedAt + f.at * 1_000),
        unavailable: unavailableWhile(
          attempts,
          startedAt + f.at * 1_000,
          startedAt + f.at * 1_000 + (f.recoveryMs ?? 0),
        ),
      })),
      deaths: deaths.map((d) => ({ at: (d.at - startedAt) / 1_000, process: d.process })),
      ...(cluster ? { cluster: { ...cluster, repairs } } : {}),
      invariants: [...INVARIANTS, ...(cluster ? [CLUSTER_INVARIANT] : [])].map((name) => ({
        name,
        broken: violations.filter((v) => v.invariant === name).length,
      })),
      violations,
      diagnostics,
      series: {
        chargeLateness: observation.lateness.map(
          (l) => [(l.at - startedAt) / 1_000, l.ms] as const,
        ),
        purchaseLatency: purchaseAnswers.map(
          (p) => [(p.sentAt - startedAt) / 1_000, p.latencyMs ?? 0] as const,
        ),
      },
    };
    writeReport(reportDir, report);
    process.stdout.write(`${terminalReport(report)}\nreport: ${join(reportDir, 'report.html')}\n`);
    return violations.length === 0 ? 0 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await stopping();
  }
}

/** The process a fault hits: a random worker replica, or the one its kind names. */
function faultTarget(kind: FaultPlan['kind'], cluster: boolean, random: () => number): string {
  switch (kind) {
    case 'kill-worker':
      return WORKERS[Math.floor(random() * WORKERS.length)] as string;
    case 'kill-api':
      return 'api';
    case 'kill-temporal':
      return 'temporal';
    // Not the seed: node 2 of the cluster.
    case 'kill-cassandra-node':
      return 'cassandra-2';
    case 'stop-cassandra-node':
      return 'cassandra-3';
    case 'kill-cassandra':
    case 'stop-cassandra':
      return cluster ? 'cassandra-1' : 'cassandra';
  }
}

/** The faults of the profile, in order, each inside the load window. */
async function runFaults(
  fleet: Fleet,
  plan: readonly FaultPlan[],
  ctx: LoadContext,
  apiPort: number,
  random: () => number,
  cluster: boolean,
): Promise<Omit<FaultRecord, 'serviceGapMs'>[]> {
  const done: Omit<FaultRecord, 'serviceGapMs'>[] = [];
  for (const fault of plan) {
    await sleep(ctx.startedAt + fault.at * 1_000 - Date.now());
    if (Date.now() >= ctx.endsAt) break;
    const at = (Date.now() - ctx.startedAt) / 1_000;
    const target = faultTarget(fault.kind, cluster, random);
    log.info(`fault at ${at.toFixed(0)} s: ${fault.kind} ${target} for ${fault.downSeconds} s`);
    let recoveryMs: number | null = null;
    try {
      if (fault.kind === 'stop-cassandra' || fault.kind === 'stop-cassandra-node') {
        const t = Date.now();
        fleet.freeze(target);
        await sleep(fault.downSeconds * 1_000);
        fleet.thaw(target);
        // Back when the API reports the database ready again.
        for (let i = 0; i < 240 && !(await httpOk(`http://127.0.0.1:${apiPort}/readyz`)); i++)
          await sleep(500);
        recoveryMs = Date.now() - t;
      } else {
        fleet.kill(target);
        await sleep(fault.downSeconds * 1_000);
        recoveryMs = await fleet.restart(target);
      }
    } catch (error) {
      log.error(`${target} did not recover: ${String(error)}`);
    }
    done.push({ at, kind: fault.kind, target, recoveryMs });
  }
  return done;
}

/**
 * For the first few subscriptions a violation names: what the workflow says (its `details`
 * query, or how it ended) and the ledger's rows — enough to start an investigation from the
 * report alone.
 */
async function diagnose(
  temporal: Client,
  repository: Repository,
  violations: readonly Violation[],
): Promise<Record<string, unknown>> {
  const ids = [...new Set(violations.map((v) => v.entity).filter((e) => e.startsWith('sub_')))];
  const out: Record<string, unknown> = {};
  for (const id of ids.slice(0, 5)) {
    const handle = temporal.workflow.getHandle(subscriptionWorkflowId(id));
    const described = await handle.describe().catch((e: unknown) => String(e));
    const details = await handle.query(detailsQuery).catch((e: unknown) => String(e));
    const ledger = await repository.charges
      .listBySubscription(id, { limit: 100 })
      .then((p) =>
        p.items.map((c) => `${c.period}/${c.attempt} ${c.outcome} ${c.occurredAt.toISOString()}`),
      )
      .catch((e: unknown) => String(e));
    out[id] = {
      status: typeof described === 'string' ? described : described.status.name,
      details,
      ledger,
    };
  }
  return out;
}

const runIdOf = (seed: number, t0: number) => `soak-${seed}-${t0}`;

/**
 * Runs the `reconcile` workflow (what the schedule runs in production) over the soak's tables,
 * with a short grace (nothing is in flight any more), and turns its open findings into
 * violations.
 */
async function reconcile(
  temporal: Client,
  repository: Repository,
  key: string,
): Promise<{ violations: Violation[]; checked: number }> {
  const handle = await temporal.workflow.start(RECONCILE_WORKFLOW_TYPE, {
    taskQueue: RECONCILE_TASK_QUEUE,
    workflowId: reconcileWorkflowId(key),
    args: [{ settings: { graceMs: 5_000 } } satisfies ReconcileInput],
  });
  const result = await Promise.race([
    handle.result() as Promise<ReconcileResult>,
    sleep(180_000).then(() => undefined),
  ]);
  if (!result)
    return {
      violations: [
        { invariant: 'reconciliation finds nothing', entity: key, detail: 'no result in 180 s' },
      ],
      checked: 0,
    };
  const violations: Violation[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 100; pages++) {
    const page = await repository.reconciliation.listFindings('open', { limit: 100, cursor });
    for (const f of page.items)
      violations.push({
        invariant: 'reconciliation finds nothing',
        entity: f.subjectId,
        detail: `${f.kind}: expected ${f.expected}, actual ${f.actual}`,
      });
    cursor = page.nextCursor;
    if (!cursor) break;
  }
  const checked = Object.values(result.checked).reduce((sum, n) => sum + n, 0);
  return { violations, checked };
}

/** Attempts sent in [from, to], and those of them answered 5xx or not at all. */
function unavailableWhile(
  attempts: readonly Attempt[],
  from: number,
  to: number,
): { failed: number; sent: number } {
  const sent = attempts.filter((a) => a.at >= from && a.at <= to);
  const failed = sent.filter((a) => a.status === 'network' || a.status >= 500).length;
  return { failed, sent: sent.length };
}

/** From `since` until the first purchase sent after it was answered 2xx. */
function serviceGap(attempts: readonly Attempt[], since: number): number | null {
  const first = attempts.find(
    (a) =>
      a.at >= since &&
      a.route.includes('purchases') &&
      typeof a.status === 'number' &&
      a.status < 300,
  );
  return first ? first.at + first.ms - since : null;
}

async function buildApps(): Promise<void> {
  log.info('building the apps (nx build api billing-worker loyalty-worker)');
  const { execa } = await loadExeca();
  await execa(
    join(REPO_ROOT, 'node_modules', '.bin', 'nx'),
    ['run-many', '-t', 'build', '-p', ...APPS, '--output-style', 'static'],
    { cwd: REPO_ROOT, stdio: 'inherit' },
  );
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
