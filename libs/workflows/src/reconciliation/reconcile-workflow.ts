import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import {
  DEFAULT_RECONCILE_SETTINGS,
  RECONCILE_CHECKS,
  type FindingKind,
  type ReconcileCheck,
  type ReconcileInput,
  type ReconcileResult,
  type ReconciliationActivities,
} from './contract';

const { beginReconciliation, finishReconciliation } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

// A scan pages through whole tables: long, so it heartbeats its cursor, and a retry resumes there.
const { runReconcileCheck, sweepFindings } = proxyActivities<ReconciliationActivities>({
  startToCloseTimeout: '2 hours',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 },
});

/**
 * One reconciliation run: each check compares two sources of truth from the tables (and the
 * payment gateway's record, and Temporal's own view of the subscriptions), one after the other to
 * keep the load on the database bounded, and stores what it finds. Nothing is corrected.
 * The run id is the workflow id.
 */
export async function reconcile(input: ReconcileInput = {}): Promise<ReconcileResult> {
  const runId = workflowInfo().workflowId;
  const settings = { ...DEFAULT_RECONCILE_SETTINGS, ...input.settings };
  const startedAt = new Date().toISOString();
  await beginReconciliation({ runId, startedAt });
  const findings: Partial<Record<FindingKind, number>> = {};
  const checked: Partial<Record<ReconcileCheck, number>> = {};
  for (const check of RECONCILE_CHECKS) {
    const result = await runReconcileCheck({ runId, check, settings });
    checked[check] = result.checked;
    for (const [kind, n] of Object.entries(result.findings) as [FindingKind, number][]) {
      findings[kind] = (findings[kind] ?? 0) + n;
    }
  }
  const noLongerObserved = await sweepFindings({ runId });
  const finishedAt = new Date().toISOString();
  await finishReconciliation({ runId, finishedAt, findings, checked });
  return { runId, startedAt, finishedAt, findings, checked, noLongerObserved };
}
