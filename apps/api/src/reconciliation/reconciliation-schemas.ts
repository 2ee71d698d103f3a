import {
  keySchema,
  type ReconciliationFinding,
  type ReconciliationRun,
} from '@invincible/astra-repo';
import { FINDING_KINDS, RECONCILE_CHECKS } from '@invincible/workflows';
import { z } from 'zod';
import { isoDateTime, pageQuerySchema } from '../schemas/common';

export const runIdSchema = keySchema.meta({
  description: 'A reconciliation run id (the workflow id of the run)',
  example: 'reconcile-2026-11-30T21:00:00Z',
});

export const runParamsSchema = z.strictObject({ runId: runIdSchema });

/** Starting a run takes nothing but its Idempotency-Key. */
export const startRunSchema = z.strictObject({}).meta({ id: 'StartReconciliationRun' });

const counts = (keys: readonly string[], description: string) =>
  z.partialRecord(z.enum(keys as [string, ...string[]]), z.number().int().min(0)).meta({
    description,
  });

export const runSchema = z
  .strictObject({
    id: runIdSchema,
    status: z.enum(['pending', 'running', 'completed']).meta({
      description: '`pending` until a worker has begun it',
    }),
    startedAt: isoDateTime.nullable(),
    finishedAt: isoDateTime.nullable(),
    findings: counts(FINDING_KINDS, 'Findings this run observed, by kind'),
    checked: counts(RECONCILE_CHECKS, 'Rows or entities each check examined'),
  })
  .meta({ id: 'ReconciliationRun' });

export const findingSchema = z
  .strictObject({
    key: z.string(),
    kind: z.enum(FINDING_KINDS),
    subjectId: z.string().meta({
      description: 'What it is about: an idempotency key, a subscription or a customer id',
    }),
    customerId: z.string().nullable(),
    expected: z.string(),
    actual: z.string(),
    status: z.enum(['open', 'unobserved', 'resolved']).meta({
      description:
        '`open`: seen by the latest run that looked; `unobserved`: a later run no longer saw it (kept as history)',
    }),
    firstSeenAt: isoDateTime,
    lastSeenAt: isoDateTime,
    firstRunId: z.string(),
    lastRunId: z.string(),
  })
  .meta({ id: 'ReconciliationFinding' });

export const findingsQuerySchema = pageQuerySchema.extend({
  status: z.enum(['open', 'all']).default('open').meta({ description: 'Default `open`' }),
});

/** Explicit mapping: what the API shows of a stored run. */
export function runView(run: ReconciliationRun): z.infer<typeof runSchema> {
  return {
    id: run.id,
    status: run.status,
    startedAt: run.startedAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    findings: { ...run.findings },
    checked: { ...run.checked },
  };
}

export function findingView(f: ReconciliationFinding): z.infer<typeof findingSchema> {
  return {
    key: f.key,
    kind: f.kind as z.infer<typeof findingSchema>['kind'],
    subjectId: f.subjectId,
    customerId: f.customerId,
    expected: f.expected,
    actual: f.actual,
    status: f.status,
    firstSeenAt: f.firstSeenAt.toISOString(),
    lastSeenAt: f.lastSeenAt.toISOString(),
    firstRunId: f.firstRunId,
    lastRunId: f.lastRunId,
  };
}
