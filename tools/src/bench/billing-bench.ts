/**
 * `npm run bench:billing`: billing cycles per second of the subscription workflow against a
 * no-op workflow of the identical activity and timer shape, in one process against one Temporal
 * server (TEMPORAL_ADDRESS, default 127.0.0.1:7233 — `npm run stack -- up --only temporal`).
 * N subscriptions (BENCH_SUBSCRIPTIONS, default 50, max 500) with a 1-second interval run
 * M periods each (BENCH_PERIODS, default 10, max 60); activities are the real billing
 * activities over the in-memory repository (this measures workflow and activity code, not the
 * database: `npm run bench:ledger` does that). Prints cycles/s of both and their ratio, and per
 * billing period of each: history bytes and activities scheduled (read from the histories).
 *
 * `--tuner=resource-based` runs both workers with the SDK's resource-based slot tuner instead of
 * fixed slots (the same maxima as its ceiling, as WORKER_TUNER does in the apps); `--tuner=both`
 * runs the subscription workflow under each, one after the other, each in a fresh process of its
 * own (so that neither inherits the other's heap), and prints throughput, peak RSS and CPU per
 * cycle of both and their ratios (BENCH_TARGET_CPU / BENCH_TARGET_MEMORY, default 0.8, as the
 * apps' defaults).
 */
import { spawnSync } from 'node:child_process';
import {
  createBillingActivities,
  createOutboxMailer,
  createSandboxGateway,
} from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  subscriptionWorkflowId,
  WORKFLOW_SOURCES,
  type SubscriptionInput,
} from '@invincible/workflows';
import { workerTuningOptions, type WorkerTuning } from '@invincible/temporal-runtime';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import { historyCost } from './history-cost';
import { benchPayloadCodecs } from './payload-codec';

/** Both phases alike (the ratio stays fair): PAYLOAD_CODEC_KEYS set measures encryption's cost. */
const CODEC = benchPayloadCodecs(process.env);

const N = Math.min(Number(process.env['BENCH_SUBSCRIPTIONS'] ?? 50), 500);
const M = Math.min(Number(process.env['BENCH_PERIODS'] ?? 10), 60);
const TUNING: WorkerTuning = {
  maxConcurrentActivityTaskExecutions: 200,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxCachedWorkflows: 1_000,
  shutdownGraceTimeMs: 1_000,
};

type Tuner = 'fixed' | 'resource-based';
const TUNER_MODES = ['fixed', 'resource-based', 'both'] as const;

/** `--tuner=fixed|resource-based|both` (default fixed); anything else stops with the choices. */
function tunerMode(argv: readonly string[]): (typeof TUNER_MODES)[number] {
  const arg = argv.find((a) => a.startsWith('--tuner'));
  if (arg === undefined) return 'fixed';
  const value = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[argv.indexOf(arg) + 1];
  const mode = TUNER_MODES.find((m) => m === value);
  if (!mode) throw new Error(`--tuner: one of ${TUNER_MODES.join(', ')} (got ${String(value)})`);
  return mode;
}

/** A share (0–1] from the environment, for the resource-based tuner's targets. */
function target(name: string): number {
  const value = Number(process.env[name] ?? 0.8);
  if (!(value > 0 && value <= 1)) throw new Error(`${name}: a share above 0, at most 1`);
  return value;
}

function tuningFor(tuner: Tuner): WorkerTuning {
  return tuner === 'fixed'
    ? TUNING
    : {
        ...TUNING,
        resourceBased: {
          targetCpuUsage: target('BENCH_TARGET_CPU'),
          targetMemoryUsage: target('BENCH_TARGET_MEMORY'),
        },
      };
}

interface PhaseResult {
  readonly rate: number;
  readonly bytesPerPeriod: number;
  readonly activitiesPerPeriod: number;
  /** The bench process's peak RSS during the phase (worker, client and activities), in MB. */
  readonly peakRssMb: number;
  /** This process's CPU time per billing cycle, in ms. */
  readonly cpuMsPerCycle: number;
}

async function phase(
  name: string,
  workerOptions: Pick<WorkerOptions, 'workflowsPath' | 'activities'>,
  start: (client: Client, taskQueue: string, i: number, startAt: string) => Promise<WorkflowHandle>,
  address: string,
  tuner: Tuner,
): Promise<PhaseResult> {
  const taskQueue = `bench-${name}-${tuner}-${Date.now().toString(36)}`;
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue,
    ...workerOptions,
    ...workerTuningOptions(tuningFor(tuner)),
    dataConverter: { payloadCodecs: CODEC.payloadCodecs },
  });
  const client = new Client({
    connection: await Connection.connect({ address }),
    dataConverter: { payloadCodecs: CODEC.payloadCodecs },
  });
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 100);
  const cpu0 = process.cpuUsage();
  try {
    return await worker.runUntil(async () => {
      const startAt = new Date(Date.now() + 2_000).toISOString();
      const t0 = Date.now();
      const handles = await Promise.all(
        Array.from({ length: N }, (_, i) => start(client, taskQueue, i, startAt)),
      );
      await Promise.all(handles.map((h) => h.result()));
      // Cycles over the time from the first scheduled charge to the last completion.
      const seconds = (Date.now() - Math.max(t0, new Date(startAt).getTime())) / 1000;
      const cpu = process.cpuUsage(cpu0);
      // Every run of every execution (continue-as-new chains included): bytes and activities.
      const { bytes, activities } = await historyCost(
        client,
        handles.map((h) => h.workflowId),
      );
      return {
        rate: (N * M) / seconds,
        bytesPerPeriod: bytes / (N * M),
        activitiesPerPeriod: activities / (N * M),
        peakRssMb: peakRss / 2 ** 20,
        cpuMsPerCycle: (cpu.user + cpu.system) / 1000 / (N * M),
      };
    });
  } finally {
    clearInterval(sampler);
  }
}

/** Runs the subscription phase under `tuner` in a child process of this script; its result. */
function phaseInChild(tuner: Tuner): PhaseResult {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, __filename, `--tuner=${tuner}`, '--phase-json'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: 30 * 60_000 },
  );
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status !== 0 || !last.startsWith('{')) {
    throw new Error(`the ${tuner} phase failed (exit ${String(child.status)}): ${child.stdout}`);
  }
  return JSON.parse(last) as PhaseResult;
}

async function main(): Promise<void> {
  const address = process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
  const mode = tunerMode(process.argv.slice(2));
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const repository = createInMemoryRepository();
  const run = Date.now().toString(36);

  const subscriptionPhase = (tuner: Tuner) =>
    phase(
      'subscription',
      {
        workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
        activities: createBillingActivities({
          repository,
          payments: createSandboxGateway({ payments: repository.payments }),
          mailer: createOutboxMailer({ outbox: repository.outbox }),
          loyalty: { notifyPurchase: () => Promise.resolve() },
        }),
      },
      (client, taskQueue, i, startAt) => {
        const input: SubscriptionInput = {
          subscriptionId: `bench-${run}-${tuner}-${i}`,
          customerId: `cus-bench-${i}`,
          customerEmail: 'bench@example.com',
          paymentMethod: 'pm_card_visa',
          price: { amountMinor: 1999, currency: 'USD' },
          interval: { unit: 'second', count: 1 },
          startAt,
          timeZone: 'UTC',
          maxPeriods: M,
          periodsPerRun: 1_000,
        };
        return client.workflow.start('subscription', {
          taskQueue,
          workflowId: subscriptionWorkflowId(input.subscriptionId),
          args: [input],
        });
      },
      address,
      tuner,
    );

  // A child of `--tuner=both`: the subscription phase alone, its result as JSON.
  if (process.argv.includes('--phase-json')) {
    console.log(JSON.stringify(await subscriptionPhase(mode === 'both' ? 'fixed' : mode)));
    return;
  }
  console.log(`billing benchmark: ${N} subscriptions x ${M} periods of 1 s, Temporal ${address}`);
  console.log(CODEC.label);
  if (mode === 'both') {
    const fixed = phaseInChild('fixed');
    const resource = phaseInChild('resource-based');
    const { resourceBased } = tuningFor('resource-based');
    console.log(`worker maxima: ${JSON.stringify(TUNING)}`);
    console.log(`resource-based targets: ${JSON.stringify(resourceBased)}`);
    for (const [name, r] of [
      ['fixed', fixed],
      ['resource-based', resource],
    ] as const) {
      console.log(
        `${name}: ${r.rate.toFixed(1)} billing cycles/s, peak RSS ${r.peakRssMb.toFixed(0)} MB, ` +
          `${r.cpuMsPerCycle.toFixed(2)} ms CPU per cycle`,
      );
    }
    console.log(
      `ratio resource-based/fixed: throughput ${(resource.rate / fixed.rate).toFixed(2)}, ` +
        `peak RSS ${(resource.peakRssMb / fixed.peakRssMb).toFixed(2)}, ` +
        `CPU per cycle ${(resource.cpuMsPerCycle / fixed.cpuMsPerCycle).toFixed(2)}`,
    );
    return;
  }
  const subscription = await subscriptionPhase(mode);

  const noop = (): Promise<void> => Promise.resolve();
  const baseline = await phase(
    'noop',
    {
      workflowsPath: require.resolve('./noop-billing-workflows'),
      activities: {
        chargePayment: noop,
        recordCharge: noop,
        earnLoyaltyPoints: noop,
        publish: noop,
      },
    },
    (client, taskQueue, i, startAt) =>
      client.workflow.start('noopSubscription', {
        taskQueue,
        workflowId: `bench-noop-${run}-${i}`,
        args: [{ startAt, intervalMs: 1_000, periods: M }],
      }),
    address,
    mode,
  );

  console.log(
    `tuner: ${mode}; worker options: ${JSON.stringify(workerTuningOptions(tuningFor(mode)))}`,
  );
  console.log(`subscription workflow: ${subscription.rate.toFixed(1)} billing cycles/s`);
  console.log(
    `no-op workflow, same activity and timer shape: ${baseline.rate.toFixed(1)} cycles/s`,
  );
  console.log(
    `ratio subscription/no-op: ${(subscription.rate / baseline.rate).toFixed(2)} (target >= 0.8)`,
  );
  for (const [name, r] of [
    ['subscription', subscription],
    ['no-op', baseline],
  ] as const) {
    console.log(
      `${name}: ${r.bytesPerPeriod.toFixed(0)} history bytes and ` +
        `${r.activitiesPerPeriod.toFixed(2)} activities per billing period`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
