/**
 * The reconciliation contract: what the API, the tools, the billing worker (which hosts it) and
 * its activities agree on. Imported by all of them; no other file spells these names.
 */
import { BILLING_TASK_QUEUE } from '../billing/contract';

/**
 * The task queue of the reconcile workflow and its activities: the billing worker's. Money is
 * billing's domain, one worker process serves both, and one bundle holds both workflows; the
 * checks are a handful of long, heartbeating activities, each holding one activity slot.
 */
export const RECONCILE_TASK_QUEUE = BILLING_TASK_QUEUE;

/** The workflow type (a function name: renaming it breaks running executions). */
export const RECONCILE_WORKFLOW_TYPE = 'reconcile';

/** The Temporal Schedule that runs reconciliation (created or updated by the billing worker). */
export const RECONCILE_SCHEDULE_ID = 'reconcile';

/**
 * Workflow id (and run id) of an on-demand run, from a business key: the same key starts one run.
 * Scheduled runs get the schedule's own ids (`reconcile-<instant>`).
 */
export function reconcileWorkflowId(key: string): string {
  return `reconcile-${key}`;
}

/** What a run may find. Each is reported, never fixed: money and points are corrected by people. */
export const FINDING_KINDS = [
  /** Charged at the provider (its record says succeeded) but no such charge in the ledger. */
  'payment_without_charge',
  /** In the ledger as succeeded, but the provider has no successful charge under its key. */
  'charge_without_payment',
  /** Both sides have it, but customer, amount, currency or outcome differ. */
  'charge_payment_mismatch',
  /** Two successful charges for one (subscription, period). */
  'duplicate_charge',
  /** A projection that says live (or anything) for a workflow Temporal does not know. */
  'projection_workflow_missing',
  /** The projection and the workflow's own state disagree (status, price, periods billed). */
  'projection_workflow_mismatch',
  /** A running subscription workflow that does not answer its status query (stuck, no worker). */
  'workflow_unanswered',
  /** A loyalty account whose lifetime points or balance are not what its ledger adds up to. */
  'loyalty_points_mismatch',
  /** Coupons issued (table or account) ≠ floor(Σ ledger points / threshold). */
  'coupons_mismatch',
  /** A successful charge past the grace period with no `charge` row in the customer's ledger. */
  'charge_award_missing',
  /** An email still pending past the bound. */
  'outbox_stuck',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** The checks, in the order a run makes them. */
export const RECONCILE_CHECKS = [
  'charges',
  'payments',
  'projections',
  'loyalty',
  'outbox',
] as const;
export type ReconcileCheck = (typeof RECONCILE_CHECKS)[number];

/** Bounds and rules of one run, pinned into its input at start. */
export interface ReconcileSettings {
  /** An email pending longer than this is stuck. */
  readonly outboxPendingBoundMs: number;
  /** How long a charge or payment may wait for its other half (ledger row, points award). */
  readonly graceMs: number;
  /** The loyalty program's coupon threshold (points per coupon). */
  readonly couponThreshold: number;
  /** Rows per page of every scan. */
  readonly pageSize: number;
}

export const DEFAULT_RECONCILE_SETTINGS: ReconcileSettings = {
  outboxPendingBoundMs: 15 * 60_000,
  graceMs: 15 * 60_000,
  couponThreshold: 10_000,
  pageSize: 100,
};

export interface ReconcileInput {
  /** Missing members take `DEFAULT_RECONCILE_SETTINGS`. */
  readonly settings?: Partial<ReconcileSettings>;
}

/** What one check found: rows examined and findings observed, by kind. */
export interface CheckResult {
  readonly checked: number;
  readonly findings: Partial<Record<FindingKind, number>>;
}

export interface ReconcileResult {
  readonly runId: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly findings: Partial<Record<FindingKind, number>>;
  readonly checked: Partial<Record<ReconcileCheck, number>>;
  /** Open findings of earlier runs this run no longer saw (now `unobserved`, kept). */
  readonly noLongerObserved: number;
}

/** The activities of a run (implemented by createReconciliationActivities). */
export interface ReconciliationActivities {
  beginReconciliation(input: { runId: string; startedAt: string }): Promise<void>;
  /** One check over its tables, paged and heartbeating its cursor; a retry resumes there. */
  runReconcileCheck(input: {
    runId: string;
    check: ReconcileCheck;
    settings: ReconcileSettings;
  }): Promise<CheckResult>;
  /** Marks `unobserved` every open finding this run did not see again; returns how many. */
  sweepFindings(input: { runId: string }): Promise<number>;
  finishReconciliation(input: {
    runId: string;
    finishedAt: string;
    findings: Partial<Record<FindingKind, number>>;
    checked: Partial<Record<ReconcileCheck, number>>;
  }): Promise<void>;
}
