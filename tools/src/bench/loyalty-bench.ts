/**
 * `npm run bench:loyalty`: purchases/s through the recordPurchase Update, into one hot customer
 * and spread over 100 customers, against the same load through a no-op workflow with an Update
 * handler of the same shape (validator, one activity per purchase, a save when idle) — in one
 * process against one Temporal server (TEMPORAL_ADDRESS, default 127.0.0.1:7233). Every tenth
 * purchase is sent twice; the run counts purchases lost and counted twice (both must be 0).
 * Sizes: BENCH_PURCHASES (default 300, max 3000), BENCH_CONCURRENCY (default 20, max 100).
 */
import { createLoyaltyActivities, createOutboxMailer } from '@invincible/activities';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  getPointsQuery,
  loyaltyWorkflowId,
  recordPurchaseUpdate,
  WORKFLOW_SOURCES,
  type Purchase,
} from '@invincible/workflows';
import { Client, Connection } from '@temporalio/client';
import { historyCost } from './history-cost';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { noopPurchaseUpdate } from './noop-loyalty-workflows';
import { benchPayloadCodecs } from './payload-codec';

const PURCHASES = Math.min(Number(process.env['BENCH_PURCHASES'] ?? 300), 3_000);
const CONCURRENCY = Math.min(Number(process.env['BENCH_CONCURRENCY'] ?? 20), 100);
const noop = (): Promise<void> => Promise.resolve();

/** Runs `jobs` with at most CONCURRENCY in flight; resolves with the elapsed seconds. */
async function pool(jobs: readonly (() => Promise<unknown>)[]): Promise<number> {
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < jobs.length) {
        const job = jobs[next++];
        if (job) await job();
      }
    }),
  );
  return (Date.now() - t0) / 1000;
}

/** The purchases of one load: `customers` share PURCHASES distinct purchases; every tenth is repeated. */
function load(customers: number, run: string): { customer: number; purchase: Purchase }[] {
  const distinct = Array.from({ length: PURCHASES }, (_, i) => ({
    customer: i % customers,
    purchase: {
      purchaseId: `bench-${run}-${i}`,
      total: 100,
      currency: 'USD',
      occurredAt: new Date().toISOString(),
    },
  }));
  return [...distinct, ...distinct.filter((_, i) => i % 10 === 0)];
}

async function main(): Promise<void> {
  const address = process.env['TEMPORAL_ADDRESS'] ?? '127.0.0.1:7233';
  Runtime.install({ logger: new DefaultLogger('WARN') });
  // PAYLOAD_CODEC_KEYS set: both workers and the client encrypt, as an encrypted deployment does.
  const codec = benchPayloadCodecs(process.env);
  const dataConverter = { payloadCodecs: codec.payloadCodecs };
  const client = new Client({ connection: await Connection.connect({ address }), dataConverter });
  const run = Date.now().toString(36);
  const repository = createInMemoryRepository();
  const real = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: `bench-loyalty-${run}`,
    workflowsPath: require.resolve(WORKFLOW_SOURCES.loyalty),
    dataConverter,
    activities: createLoyaltyActivities({
      repository,
      mailer: createOutboxMailer({ outbox: repository.outbox }),
    }),
  });
  const baseline = await Worker.create({
    connection: await NativeConnection.connect({ address }),
    taskQueue: `bench-noop-${run}`,
    workflowsPath: require.resolve('./noop-loyalty-workflows'),
    dataConverter,
    activities: { recordProcessedPurchase: noop, saveAccount: noop },
  });

  const results: string[] = [];
  await real.runUntil(() =>
    baseline.runUntil(async () => {
      for (const customers of [1, 100]) {
        const tag = `${run}-${customers}`;
        const programs = await Promise.all(
          Array.from({ length: customers }, (_, c) =>
            client.workflow.start('loyaltyProgram', {
              taskQueue: `bench-loyalty-${run}`,
              workflowId: loyaltyWorkflowId(`bench-${tag}-${c}`),
              args: [{ customerId: `bench-${tag}-${c}`, couponThreshold: 1_000_000_000 }],
            }),
          ),
        );
        const noops = await Promise.all(
          Array.from({ length: customers }, (_, c) =>
            client.workflow.start('noopLoyalty', {
              taskQueue: `bench-noop-${run}`,
              workflowId: `bench-noop-${tag}-${c}`,
            }),
          ),
        );
        // Both loads start from settled workflows: each has answered one warm-up Update (a
        // program has rehydrated and saved its projection), so start-up work is not timed as
        // purchase work.
        const warmUp = (c: number): Purchase => ({
          purchaseId: `warm-up-${tag}-${c}`,
          total: 100,
          currency: 'USD',
          occurredAt: new Date().toISOString(),
        });
        await Promise.all([
          ...programs.map((h, c) => h.executeUpdate(recordPurchaseUpdate, { args: [warmUp(c)] })),
          ...noops.map((h, c) => h.executeUpdate(noopPurchaseUpdate, { args: [warmUp(c)] })),
        ]);
        for (let c = 0; c < customers; c++) {
          const customerId = `bench-${tag}-${c}`;
          while (!(await repository.loyalty.get(customerId).catch(() => undefined)))
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
        const purchases = load(customers, tag);
        const at = <T>(list: readonly T[], i: number): T => {
          const item = list[i];
          if (item === undefined) throw new Error(`no workflow for customer ${i}`);
          return item;
        };
        const realSeconds = await pool(
          purchases.map(
            ({ customer, purchase }) =>
              () =>
                at(programs, customer).executeUpdate(recordPurchaseUpdate, { args: [purchase] }),
          ),
        );
        const noopSeconds = await pool(
          purchases.map(
            ({ customer, purchase }) =>
              () =>
                at(noops, customer).executeUpdate(noopPurchaseUpdate, { args: [purchase] }),
          ),
        );
        // Each distinct purchase earns 100 points exactly once.
        let points = 0;
        for (const program of programs)
          points += (await program.query(getPointsQuery)).lifetimePoints;
        const expected = (PURCHASES + customers) * 100;
        const lost = Math.max(0, (expected - points) / 100);
        const duplicated = Math.max(0, (points - expected) / 100);
        const rate = purchases.length / realSeconds;
        const noopRate = purchases.length / noopSeconds;
        // Per distinct purchase (the warm-ups included), every run of every program.
        const distinct = PURCHASES + customers;
        const history = await historyCost(
          client,
          programs.map((h) => h.workflowId),
        );
        const cost = {
          bytesPerPurchase: history.bytes / distinct,
          activitiesPerPurchase: history.activities / distinct,
        };
        results.push(
          `${customers === 1 ? 'one hot customer ' : `${customers} customers     `}: ${rate.toFixed(1)} purchases/s, no-op ${noopRate.toFixed(1)}/s, ratio ${(rate / noopRate).toFixed(2)} (target >= 0.8); lost ${lost}, duplicated ${duplicated}; history ${cost.bytesPerPurchase.toFixed(0)} bytes and ${cost.activitiesPerPurchase.toFixed(2)} activities per purchase (target <= 1 KB)`,
        );
        await Promise.all([...programs, ...noops].map((h) => h.terminate('benchmark done')));
      }
    }),
  );
  console.log(
    `loyalty benchmark: ${PURCHASES} purchases (+10% repeated) per load, concurrency ${CONCURRENCY}, Temporal ${address}`,
  );
  console.log(codec.label);
  for (const line of results) console.log(line);
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
