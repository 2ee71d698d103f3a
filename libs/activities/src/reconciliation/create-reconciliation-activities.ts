import {
  NotFoundError,
  type ChargeEntry,
  type FindingObservation,
  type Page,
  type PageRequest,
  type PaymentRecord,
  type Repository,
} from '@invincible/astra-repo';
import {
  chargeIdempotencyKey,
  statusQuery,
  subscriptionWorkflowId,
  type CheckResult,
  type FindingKind,
  type ReconcileCheck,
  type ReconcileSettings,
  type ReconciliationActivities,
} from '@invincible/workflows';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowClient } from '@temporalio/client';
import { guarded } from '../guarded';
import {
  compareChargeWithPayment,
  compareLoyalty,
  comparePaymentWithCharge,
  compareProjection,
  duplicateCharges,
  missingAwards,
  parseChargeKey,
  stuckEmail,
  type WorkflowView,
} from './reconciliation-checks';

export interface ReconciliationActivityDeps {
  readonly repository: Pick<
    Repository,
    | 'subscriptions'
    | 'charges'
    | 'payments'
    | 'loyalty'
    | 'purchases'
    | 'coupons'
    | 'outbox'
    | 'reconciliation'
  >;
  /** Temporal's view of the subscription workflows (describe, query). */
  readonly workflows: WorkflowClient;
  readonly now?: () => Date;
}

/** Where a check stands: the scan's cursor and what it counted before it. A retry resumes here. */
interface Progress {
  readonly cursor: string | null;
  readonly checked: number;
  readonly findings: Partial<Record<FindingKind, number>>;
}

/** How long a subscription workflow has to answer its status query. */
const QUERY_TIMEOUT_MS = 10_000;

/** The most pending emails one run looks at (the outbox index is one partition, unordered). */
const OUTBOX_SCAN_LIMIT = 500;

/** The current activity's context, or undefined when called outside an activity (unit tests). */
function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}

/**
 * The activities of the `reconcile` workflow (contract: `ReconciliationActivities` in
 * libs/workflows). Each check pages through its tables with the repository's cursors (bounded
 * memory), records what it finds idempotently (a finding is one row per key; observing it again
 * in the same run changes nothing) and heartbeats its cursor after every page, so a retried
 * attempt resumes at the page it was on. Nothing is ever corrected: findings are only reported.
 *
 * @example
 * ```ts
 * const activities = {
 *   ...createBillingActivities(billingDeps),
 *   ...createReconciliationActivities({ repository, workflows: client.workflow }),
 * };
 * ```
 */
export function createReconciliationActivities(
  deps: ReconciliationActivityDeps,
): ReconciliationActivities {
  const now = deps.now ?? (() => new Date());
  const repo = deps.repository;

  /** Pages through `scan` from the heartbeated cursor, applying `visit` to each page. */
  async function scanPages<T>(
    runId: string,
    settings: ReconcileSettings,
    scan: (page: PageRequest) => Promise<Page<T>>,
    visit: (items: readonly T[], at: Date, beat: () => void) => Promise<FindingObservation[]>,
  ): Promise<CheckResult> {
    const context = activityContext();
    const resumed = context?.info.heartbeatDetails as Progress | undefined;
    let progress: Progress = resumed ?? { cursor: null, checked: 0, findings: {} };
    // Bounded: a million pages (100 million rows at the default page size).
    for (let pages = 0; pages < 1_000_000; pages++) {
      const page = await scan({ limit: settings.pageSize, cursor: progress.cursor });
      const at = now();
      // Within a page, heartbeats carry the page's own start: a retry redoes the whole page.
      const seen = await visit(page.items, at, () => context?.heartbeat(progress));
      // One drift seen twice in a page (a period charged three times) is one finding.
      const found = [...new Map(seen.map((f) => [f.key, f])).values()];
      for (const f of found) await repo.reconciliation.observe(runId, f, at);
      const findings = { ...progress.findings };
      for (const f of found) {
        const kind = f.kind as FindingKind;
        findings[kind] = (findings[kind] ?? 0) + 1;
      }
      progress = {
        cursor: page.nextCursor,
        checked: progress.checked + page.items.length,
        findings,
      };
      context?.heartbeat(progress);
      if (page.nextCursor === null) break;
    }
    return { checked: progress.checked, findings: progress.findings };
  }

  const paymentOf = async (key: string): Promise<PaymentRecord | undefined> => {
    try {
      return await repo.payments.get(key);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  };

  const chargeOf = async (
    subscriptionId: string,
    period: number,
    attempt: number,
  ): Promise<ChargeEntry | undefined> => {
    try {
      return await repo.charges.get(subscriptionId, period, attempt);
    } catch (error) {
      if (error instanceof NotFoundError) return undefined;
      throw error;
    }
  };

  const workflowOf = async (subscriptionId: string): Promise<WorkflowView> => {
    const handle = deps.workflows.getHandle(subscriptionWorkflowId(subscriptionId));
    let description;
    try {
      description = await handle.describe();
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return { kind: 'missing' };
      throw error;
    }
    if (description.status.name !== 'RUNNING') {
      return { kind: 'closed', status: description.status.name };
    }
    try {
      const state = await deps.workflows.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
        handle.query(statusQuery),
      );
      return { kind: 'running', state };
    } catch (error) {
      // A running workflow that cannot answer (its task failing, no worker) is itself a finding;
      // it must not stop the other subscriptions from being checked.
      return {
        kind: 'unanswered',
        reason: error instanceof Error ? error.message.slice(0, 200) : String(error),
      };
    }
  };

  /** One subscription's charges, page by page: payments, duplicates and points awards. */
  const checkSubscriptionCharges = async (
    subscriptionId: string,
    settings: ReconcileSettings,
    at: Date,
  ): Promise<FindingObservation[]> => {
    const found: FindingObservation[] = [];
    let cursor: string | null = null;
    let last: { period: number; attempt: number } | null = null;
    for (let pages = 0; pages < 100_000; pages++) {
      const page: Page<ChargeEntry> = await repo.charges.listBySubscription(subscriptionId, {
        limit: settings.pageSize,
        cursor,
      });
      for (const charge of page.items) {
        const key = chargeIdempotencyKey(charge.subscriptionId, charge.period, charge.attempt);
        found.push(...compareChargeWithPayment(charge, await paymentOf(key)));
      }
      const duplicates = duplicateCharges(page.items, last);
      found.push(...duplicates.findings);
      last = duplicates.last;
      found.push(...(await awardsOf(page.items, settings, at)));
      cursor = page.nextCursor;
      if (cursor === null) break;
    }
    return found;
  };

  /** Succeeded charges (of one customer's subscription) without their `charge` ledger row. */
  const awardsOf = async (
    charges: readonly ChargeEntry[],
    settings: ReconcileSettings,
    at: Date,
  ): Promise<FindingObservation[]> => {
    const succeeded = charges.filter((c) => c.outcome === 'succeeded');
    const first = succeeded[0];
    if (first === undefined) return [];
    const keys = succeeded.map((c) => ({
      source: 'charge' as const,
      purchaseId: chargeIdempotencyKey(c.subscriptionId, c.period, c.attempt),
    }));
    const rows = await repo.purchases.find(first.customerId, keys);
    return missingAwards(succeeded, new Set(rows.map((r) => r.purchaseId)), at, settings.graceMs);
  };

  const checks: Record<
    ReconcileCheck,
    (runId: string, settings: ReconcileSettings) => Promise<CheckResult>
  > = {
    // Ledger → provider, duplicates and points awards, one subscription at a time.
    charges: (runId, settings) =>
      scanPages(
        runId,
        settings,
        (page) => repo.subscriptions.scan(page),
        async (subscriptions, at, beat) => {
          const found: FindingObservation[] = [];
          for (const s of subscriptions) {
            found.push(...(await checkSubscriptionCharges(s.id, settings, at)));
            beat();
          }
          return found;
        },
      ),
    // Provider → ledger.
    payments: (runId, settings) =>
      scanPages(
        runId,
        settings,
        (page) => repo.payments.scan(page),
        async (payments, at, beat) => {
          const found: FindingObservation[] = [];
          for (const p of payments) {
            const key = parseChargeKey(p.idempotencyKey);
            if (key === null || p.status !== 'succeeded') continue;
            const charge = await chargeOf(key.subscriptionId, key.period, key.attempt);
            found.push(...comparePaymentWithCharge(p, charge, at, settings.graceMs));
            beat();
          }
          return found;
        },
      ),
    projections: (runId, settings) =>
      scanPages(
        runId,
        settings,
        (page) => repo.subscriptions.scan(page),
        async (projections, at, beat) => {
          const found: FindingObservation[] = [];
          for (const p of projections) {
            found.push(...compareProjection(p, await workflowOf(p.id), at, settings.graceMs));
            beat();
          }
          return found;
        },
      ),
    loyalty: (runId, settings) =>
      scanPages(
        runId,
        settings,
        (page) => repo.loyalty.scan(page),
        async (accounts, _at, beat) => {
          const found: FindingObservation[] = [];
          for (const a of accounts) {
            const [totals, coupons] = await Promise.all([
              repo.purchases.totals(a.customerId),
              repo.coupons.countByCustomer(a.customerId),
            ]);
            found.push(...compareLoyalty(a, totals.points, coupons, settings.couponThreshold));
            beat();
          }
          return found;
        },
      ),
    // One bounded read: the pending index is small while delivery runs.
    outbox: (runId, settings) =>
      scanPages(
        runId,
        settings,
        async () => ({ items: await repo.outbox.listPending(OUTBOX_SCAN_LIMIT), nextCursor: null }),
        (emails, at) =>
          Promise.resolve(emails.flatMap((e) => stuckEmail(e, at, settings.outboxPendingBoundMs))),
      ),
  };

  return {
    beginReconciliation: ({ runId, startedAt }) =>
      guarded(async () => {
        await repo.reconciliation.startRun({
          id: runId,
          status: 'running',
          startedAt: new Date(startedAt),
          finishedAt: null,
          findings: {},
          checked: {},
        });
      }),

    runReconcileCheck: ({ runId, check, settings }) =>
      guarded(() => checks[check](runId, settings)),

    // Over every finding (not only the open ones: marking one moves it out of that listing, and a
    // cursor over a shrinking listing would skip rows).
    sweepFindings: ({ runId }) =>
      guarded(async () => {
        let swept = 0;
        let cursor: string | null = null;
        const context = activityContext();
        for (let pages = 0; pages < 1_000_000; pages++) {
          const page = await repo.reconciliation.listFindings('all', { limit: 100, cursor });
          for (const f of page.items) {
            if (f.status !== 'open' || f.lastRunId === runId) continue;
            const after = await repo.reconciliation.markUnobserved(f.key, f.lastRunId);
            if (after.status === 'unobserved') swept++;
          }
          context?.heartbeat();
          cursor = page.nextCursor;
          if (cursor === null) break;
        }
        return swept;
      }),

    finishReconciliation: ({ runId, finishedAt, findings, checked }) =>
      guarded(async () => {
        await repo.reconciliation.finishRun(runId, new Date(finishedAt), {
          findings,
          checked,
        });
      }),
  };
}
