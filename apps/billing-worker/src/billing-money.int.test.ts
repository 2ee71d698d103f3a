import {
  createBillingActivities,
  createOutboxMailer,
  createSandboxGateway,
  PaymentUnavailableError,
  type PaymentGateway,
} from '@invincible/activities';
import {
  FaultLog,
  injectFaults,
  seededFaults,
  type FaultKind,
  type PortCall,
} from '@invincible/activities/testing';
import { UnavailableError, type ChargeEntry, type PaymentRecord } from '@invincible/astra-repo';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import {
  cancelUpdate,
  changePriceUpdate,
  chargeAt,
  pauseUpdate,
  PAYLOAD_CONVERTER_SOURCE,
  resumeUpdate,
  statusQuery,
  subscriptionWorkflowId,
  WORKFLOW_SOURCES,
  type SubscriptionInput,
} from '@invincible/workflows';
import { createTimeSkippingEnv } from '@invincible/workflows/testing';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import fc from 'fast-check';

/**
 * The money harness of issue #13: generated schedules of cancels (both modes), price changes,
 * pauses and resumes, each arriving while a period is not yet due, due (the worker lagging), in
 * flight (the gateway holding the charge) or just recorded (ledger written, state not moved on),
 * with continue-as-new every 1–3 periods and seeded faults at every write (gateway, ledger,
 * projection, outbox) — including writes applied whose answer was lost, and writes landing
 * late. The invariants are checked from the ledger and from the gateway's own record, never from
 * the workflow's word.
 */

const DAY = 86_400_000;
const HORIZON = 6; // periods the test runs for, at most

type When = 'mid' | 'due' | 'in-flight' | 'recorded';
type Kind = 'cancel-now' | 'cancel-end' | 'price' | 'pause' | 'resume';
interface Op {
  readonly kind: Kind;
  readonly when: When;
  /** Periods after the previous op's target. */
  readonly gap: number;
  readonly amount: number;
}
interface Scenario {
  readonly seed: number;
  readonly periodsPerRun: number;
  readonly maxPeriods: number | null;
  readonly paymentMethod: 'pm_card_visa' | 'pm_card_declined_once';
  /** Period 1's charge applies at the provider but never answers (the window runs out). */
  readonly ambiguousFirst: boolean;
  readonly ops: readonly Op[];
}

const opArb: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom<Kind>('cancel-now', 'cancel-end', 'price', 'pause', 'resume'),
  when: fc.constantFrom<When>('mid', 'due', 'in-flight', 'recorded'),
  gap: fc.integer({ min: 0, max: 2 }),
  amount: fc.integer({ min: 500, max: 5000 }),
});
const scenarioArb: fc.Arbitrary<Scenario> = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  periodsPerRun: fc.integer({ min: 1, max: 3 }),
  maxPeriods: fc.option(fc.integer({ min: 2, max: HORIZON }), { nil: null }),
  paymentMethod: fc.constantFrom('pm_card_visa', 'pm_card_visa', 'pm_card_declined_once'),
  ambiguousFirst: fc.integer({ min: 0, max: 9 }).map((n) => n < 2),
  ops: fc.array(opArb, { minLength: 1, maxLength: 4 }),
});

/** Schedules that broke the model before the fix (issue #13's defects), kept as regressions. */
const REGRESSIONS: Scenario[] = [
  // Cancel now with periods due (lag): they were dropped.
  {
    seed: 11,
    periodsPerRun: 2,
    maxPeriods: null,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: false,
    ops: [{ kind: 'cancel-now', when: 'due', gap: 2, amount: 1000 }],
  },
  // Cancel at period end while a period is in flight: a past instant, then that period charged.
  {
    seed: 12,
    periodsPerRun: 1,
    maxPeriods: null,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: false,
    ops: [{ kind: 'cancel-end', when: 'in-flight', gap: 1, amount: 1000 }],
  },
  // A price change in flight answered the period charged at the old price.
  {
    seed: 13,
    periodsPerRun: 3,
    maxPeriods: 4,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: false,
    ops: [{ kind: 'price', when: 'in-flight', gap: 1, amount: 2999 }],
  },
  // Pause with periods due, resume later: the periods due before the pause were lost.
  {
    seed: 14,
    periodsPerRun: 2,
    maxPeriods: null,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: false,
    ops: [
      { kind: 'pause', when: 'due', gap: 2, amount: 1000 },
      { kind: 'resume', when: 'mid', gap: 1, amount: 1000 },
    ],
  },
  // An unknown outcome, then a decline-and-retry card: the retry used a new key.
  {
    seed: 15,
    periodsPerRun: 1,
    maxPeriods: 2,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: true,
    ops: [{ kind: 'price', when: 'recorded', gap: 1, amount: 1500 }],
  },
  // Found by this harness against the pre-fix workflow (fast-check seed 20261130, run 4): during
  // a provider outage, a cancel at period end answered a past instant (the due period's start).
  {
    seed: 837146,
    periodsPerRun: 3,
    maxPeriods: null,
    paymentMethod: 'pm_card_visa',
    ambiguousFirst: false,
    ops: [
      { kind: 'cancel-end', when: 'due', gap: 2, amount: 4903 },
      { kind: 'price', when: 'due', gap: 0, amount: 3951 },
    ],
  },
];

interface Answer {
  readonly kind: Kind;
  readonly at: number; // the test server's clock when sent
  readonly ok: boolean;
  readonly effectiveAt?: string;
  readonly fromPeriod?: number;
  readonly amount?: number;
  readonly nextChargeAt?: string | null;
  readonly pausedAt?: string | null;
}

describe('billing money harness (time-skipping, generated schedules, injected faults)', () => {
  jest.setTimeout(180_000);
  let env: TestWorkflowEnvironment;
  let bundle: WorkflowBundleWithSourceMap;
  const repo = createInMemoryRepository();
  const log = new FaultLog();
  let seedForFaults = 1;
  const plan = {
    inner: seededFaults({ seed: 1, rate: 0 }),
    decide(call: PortCall): FaultKind | null {
      return this.inner.decide(call);
    },
  };
  const unavailable = (kind: FaultKind) => new UnavailableError('faults', kind);
  const holds = new Map<
    string,
    { arrive(): Promise<void>; entered: Promise<void>; release(): void }
  >();
  const ambiguousKeys = new Set<string>();
  /** Subscriptions whose provider is down: the charge in flight is retried while periods fall due. */
  const outage = new Set<string>();
  const TASK_QUEUE = 'billing-money-harness';
  let worker: Worker;
  let running: Promise<void>;
  const dataConverter = { payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE) };
  let scenarios = 0;
  const startedAt = Date.now();

  const gate = () => {
    let arrived!: () => void;
    let release!: () => void;
    const entered = new Promise<void>((r) => (arrived = r));
    const released = new Promise<void>((r) => (release = r));
    return {
      entered,
      release,
      arrive: () => {
        arrived();
        return released;
      },
    };
  };

  beforeAll(async () => {
    env = await createTimeSkippingEnv();
    bundle = await bundleWorkflowCode({
      workflowsPath: require.resolve(WORKFLOW_SOURCES.billing),
      payloadConverterPath: dataConverter.payloadConverterPath,
    });
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue: TASK_QUEUE,
      workflowBundle: bundle,
      dataConverter,
      activities: activities(),
    });
    running = worker.run();
  }, 120_000);

  afterAll(async () => {
    worker?.shutdown();
    await running;
    console.log(
      `billing money harness: ${scenarios} scenarios, ${log.calls} port calls, ${log.faults} faults injected ` +
        `${JSON.stringify(log.injected)} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    await env?.teardown();
  });

  function activities() {
    const sandbox = createSandboxGateway({ payments: repo.payments });
    const faulty = injectFaults<PaymentGateway>(sandbox, 'gateway', {
      plan,
      log,
      error: () => new PaymentUnavailableError('faults: gateway timeout'),
    });
    const gateway: PaymentGateway = {
      async charge(request) {
        await holds.get(`charge:${request.idempotencyKey}`)?.arrive();
        if (outage.has(request.customerId)) throw new PaymentUnavailableError('provider down');
        if (ambiguousKeys.has(request.idempotencyKey)) {
          await sandbox.charge(request);
          throw new PaymentUnavailableError('applied, answer lost');
        }
        return faulty.charge(request);
      },
      lookup: (request) => faulty.lookup(request),
    };
    return createBillingActivities({
      repository: {
        charges: injectFaults(repo.charges, 'charges', { plan, log, error: unavailable }),
        subscriptions: injectFaults(repo.subscriptions, 'subscriptions', {
          plan,
          log,
          error: unavailable,
        }),
      },
      payments: gateway,
      mailer: createOutboxMailer({
        outbox: injectFaults(repo.outbox, 'outbox', { plan, log, error: unavailable }),
      }),
      loyalty: {
        // Called after the ledger write, before the state moves on: "just recorded".
        notifyPurchase: async (_c, _e, purchase) => {
          await holds.get(`recorded:${purchase.purchaseId}`)?.arrive();
        },
      },
    });
  }

  async function run(sc: Scenario): Promise<void> {
    scenarios++;
    seedForFaults = sc.seed;
    plan.inner = seededFaults({
      seed: seedForFaults,
      rate: 0.12,
      maxConsecutive: 2,
      // Reads are not writes; lookups must answer for the test to end.
      where: (call) => !['get', 'listBySubscription', 'listByCustomer'].includes(call.method),
    });
    const id = `h${sc.seed}-${scenarios}-${Date.now().toString(36)}`;
    const startAt = new Date(Math.ceil((await env.currentTimeMs()) / DAY) * DAY + DAY);
    const input: SubscriptionInput = {
      subscriptionId: id,
      customerId: `cus-${id}`,
      customerEmail: 'ada@example.com',
      paymentMethod: sc.paymentMethod,
      price: { amountMinor: 1000, currency: 'USD' },
      interval: { unit: 'day', count: 1 },
      startAt: startAt.toISOString(),
      timeZone: 'UTC',
      periodsPerRun: sc.periodsPerRun,
      dunningDays: [0.25, 0.5],
      ...(sc.maxPeriods !== null ? { maxPeriods: sc.maxPeriods } : {}),
    };
    const schedule = { anchorAt: startAt, timeZone: 'UTC', interval: input.interval };
    const instant = (n: number) => chargeAt(schedule, n).getTime();
    if (sc.ambiguousFirst) ambiguousKeys.add(`${id}:1`);

    const handle: WorkflowHandle = await env.client.workflow.start('subscription', {
      taskQueue: TASK_QUEUE,
      workflowId: subscriptionWorkflowId(id),
      args: [input],
    });
    const sleepUntil = async (t: number) => {
      const now = await env.currentTimeMs();
      if (t > now) await env.sleep(t - now);
    };
    const answers: Answer[] = [];
    const send = async (op: Op): Promise<void> => {
      const at = await env.currentTimeMs();
      try {
        switch (op.kind) {
          case 'cancel-now':
          case 'cancel-end': {
            const r = await handle.executeUpdate(cancelUpdate, {
              args: [{ mode: op.kind === 'cancel-now' ? 'now' : 'at_period_end' }],
            });
            answers.push({ kind: op.kind, at, ok: true, effectiveAt: r.effectiveAt });
            break;
          }
          case 'price': {
            const r = await handle.executeUpdate(changePriceUpdate, {
              args: [{ price: { amountMinor: op.amount, currency: 'USD' } }],
            });
            answers.push({
              kind: op.kind,
              at,
              ok: true,
              fromPeriod: r.fromPeriod,
              amount: op.amount,
            });
            break;
          }
          case 'pause': {
            const r = await handle.executeUpdate(pauseUpdate);
            answers.push({ kind: op.kind, at, ok: true, pausedAt: r.pausedAt });
            break;
          }
          case 'resume': {
            const r = await handle.executeUpdate(resumeUpdate);
            answers.push({ kind: op.kind, at, ok: true, nextChargeAt: r.nextChargeAt });
            break;
          }
        }
      } catch {
        answers.push({ kind: op.kind, at, ok: false }); // refused by a validator: no effect
      }
    };

    let target = 1;
    for (const op of sc.ops) {
      target += op.gap;
      if (target > HORIZON) break;
      const due = instant(target);
      if (op.when === 'mid') {
        await sleepUntil(due + DAY / 2);
        await send(op);
      } else if (op.when === 'due') {
        // The loop lags: the charge in flight (if any) is retried while periods fall due.
        outage.add(input.customerId);
        await sleepUntil(due + 60_000);
        await send(op);
        outage.delete(input.customerId);
      } else {
        const key = op.when === 'in-flight' ? `charge:${id}:${target}` : `recorded:${id}:${target}`;
        const hold = gate();
        holds.set(key, hold);
        // To the instant only: once the charge is held, time stops skipping.
        await sleepUntil(due + 1);
        // The charge may never come (paused, canceled, dunning): then the message is just late.
        const reached = await Promise.race([
          hold.entered.then(() => true),
          new Promise<boolean>((r) => setTimeout(() => r(false), 1_500)),
        ]);
        void reached; // either way the message arrives now
        await send(op);
        holds.delete(key);
        hold.release();
      }
      target++;
    }
    const end = instant(HORIZON) + DAY / 2;
    await sleepUntil(end);
    const state = await handle.query(statusQuery);
    if (state.status !== 'canceled' && state.status !== 'completed') {
      await send({ kind: 'cancel-now', when: 'mid', gap: 0, amount: 0 });
    }
    await handle.result();
    ambiguousKeys.delete(`${id}:1`);
    await log.settled();
    await check(sc, input, instant, answers, end);
  }

  async function check(
    sc: Scenario,
    input: SubscriptionInput,
    instant: (n: number) => number,
    answers: Answer[],
    testEnd: number,
  ): Promise<void> {
    const id = input.subscriptionId;
    const ledger: ChargeEntry[] = [
      ...(await repo.charges.listBySubscription(id, { limit: 100 })).items,
    ];
    const projection = await repo.subscriptions.get(id);
    const ok = answers.filter((a) => a.ok);
    const where = `scenario ${JSON.stringify(sc)}\nanswers ${JSON.stringify(answers)}\nledger ${JSON.stringify(ledger.map((c) => [c.period, c.attempt, c.outcome, c.amount.amountMinor]))}\nprojection ${JSON.stringify(projection)}`;
    const fail = (message: string) => {
      throw new Error(`${message}\n${where}`);
    };

    // The end: the earliest effective instant any answer or the projection gave.
    const effective = [
      ...ok.filter((a) => a.effectiveAt).map((a) => new Date(a.effectiveAt ?? 0).getTime()),
      ...(projection.cancelEffectiveAt ? [projection.cancelEffectiveAt.getTime()] : []),
    ];
    const end = Math.min(testEnd, ...effective);
    // Pauses: [pausedAt, resumedAt] windows (a pause never resumed runs to the end).
    const windows: [number, number][] = [];
    for (let k = 0; k < ok.length; k++) {
      const a = ok[k];
      if (a?.kind !== 'pause' || !a.pausedAt) continue;
      const resume = ok.slice(k + 1).find((b) => b.kind === 'resume');
      windows.push([new Date(a.pausedAt).getTime(), resume ? resume.at : Infinity]);
    }
    // Resumes are answered at the server's handling time, which follows `at`; a period whose
    // instant is between the two can go either way, so none is generated there (mid-period).
    const skipped = (n: number) => windows.some(([p, r]) => instant(n) >= p && instant(n) <= r);
    const prices = ok.filter((a) => a.kind === 'price');
    const priceOf = (n: number) =>
      [...prices].reverse().find((a) => (a.fromPeriod ?? Infinity) <= n)?.amount ?? 1000;

    const successes = new Map<number, ChargeEntry>();
    for (const c of ledger) {
      if (c.outcome !== 'succeeded') continue;
      if (successes.has(c.period)) fail(`period ${c.period} charged twice`);
      successes.set(c.period, c);
      if (instant(c.period) >= end)
        fail(`period ${c.period} charged at/after the end ${new Date(end).toISOString()}`);
      if (skipped(c.period)) fail(`period ${c.period} charged inside a pause`);
    }
    for (const c of ledger) {
      if (c.amount.amountMinor !== priceOf(c.period))
        fail(
          `period ${c.period} attempt ${c.attempt} charged ${c.amount.amountMinor}, price in force ${priceOf(c.period)}`,
        );
    }
    // Every owed period: one success or a recorded decline — until maxPeriods are billed.
    const cap = sc.maxPeriods ?? Infinity;
    let billed = 0;
    for (let n = 1; instant(n) < end && billed < cap; n++) {
      if (skipped(n)) continue;
      if (successes.has(n)) billed++;
      else if (!ledger.some((c) => c.period === n)) {
        // An unpaid (dunning exhausted) cancel ends the owed periods at its period.
        if (projection.cancelReason === 'unpaid') break;
        fail(`period ${n} (${new Date(instant(n)).toISOString()}) owed and never charged`);
      }
    }
    // The gateway's own record agrees with the ledger.
    for (const c of ledger) {
      const key = c.attempt === 1 ? `${id}:${c.period}` : `${id}:${c.period}:${c.attempt}`;
      const record: PaymentRecord | null = await repo.payments.get(key).catch(() => null);
      if (c.outcome === 'succeeded' && record?.status !== 'succeeded')
        fail(`ledger success ${key} unknown to the gateway`);
      if (c.outcome !== 'succeeded' && record?.status === 'succeeded')
        fail(`gateway charged ${key}, ledger says ${c.outcome}`);
    }
    for (let n = 1; n <= HORIZON + 1; n++) {
      for (let a = 1; a <= 3; a++) {
        const key = a === 1 ? `${id}:${n}` : `${id}:${n}:${a}`;
        const record = await repo.payments.get(key).catch(() => null);
        if (
          record?.status === 'succeeded' &&
          !ledger.some((c) => c.period === n && c.attempt === a && c.outcome === 'succeeded')
        )
          fail(`gateway charge ${key} missing from the ledger`);
      }
    }
    // Answers were true of what happened.
    for (const a of ok) {
      if (a.kind === 'cancel-end' && new Date(a.effectiveAt ?? 0).getTime() <= a.at)
        fail(`cancel at period end answered a past instant ${a.effectiveAt}`);
      if (a.kind === 'resume' && a.nextChargeAt) {
        const t = new Date(a.nextChargeAt).getTime();
        let n = 1;
        while (instant(n) < t) n++;
        if (instant(n) !== t) fail(`resume answered ${a.nextChargeAt}, not a charge instant`);
        const billedBefore = [...successes.keys()].filter((m) => m < n).length;
        if (instant(n) < end && billedBefore < cap && !ledger.some((c) => c.period === n))
          fail(`resume answered ${a.nextChargeAt} (period ${n}), which was never attempted`);
        for (const c of ledger)
          if (c.period < n && instant(c.period) > a.at)
            fail(
              `resume answered period ${n}, yet period ${c.period} (after the resume) was charged`,
            );
      }
    }
    // One email per event, with the right content.
    const emails = (await repo.outbox.listByCustomer(input.customerId, { limit: 100 })).items;
    const receipts = emails.filter((e) => e.template === 'receipt');
    if (receipts.length !== successes.size)
      fail(`${receipts.length} receipts for ${successes.size} successful charges`);
    const cancels = ok.filter((a) => a.kind === 'cancel-now' || a.kind === 'cancel-end');
    const cancelEmails = emails.filter(
      (e) => e.template === 'canceled' || e.template === 'trial_canceled',
    );
    if (cancelEmails.length !== cancels.length)
      fail(`${cancelEmails.length} cancel emails for ${cancels.length} accepted cancels`);
    for (const a of cancels) {
      if (!cancelEmails.some((e) => e.body.includes(a.effectiveAt ?? '?')))
        fail(`no cancel email says ${a.effectiveAt}`);
    }
    if (projection.status !== 'canceled' && projection.status !== 'completed')
      fail(`the final projection says ${projection.status}`);
  }

  it('regression schedules (the defects of issue #13)', async () => {
    for (const sc of REGRESSIONS) await run(sc);
  });

  it('generated schedules hold every money invariant', async () => {
    await fc.assert(fc.asyncProperty(scenarioArb, run), {
      numRuns: Number(process.env['BILLING_HARNESS_RUNS'] ?? 15),
      seed: Number(process.env['BILLING_HARNESS_SEED'] ?? 20261130),
      endOnFailure: true,
    });
  });
});
