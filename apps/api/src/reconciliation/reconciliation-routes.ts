import { NotFoundError, type Repository } from '@invincible/astra-repo';
import {
  RECONCILE_TASK_QUEUE,
  RECONCILE_WORKFLOW_TYPE,
  reconcileWorkflowId,
  type ReconcileInput,
} from '@invincible/workflows';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import { z } from 'zod';
import { notFound } from '../http/http-error';
import { idempotencyKeySchema, idFromIdempotencyKey } from '../http/idempotency';
import { listPage, type Cursors } from '../http/cursors';
import type { TrackWorkflow } from '../http/metrics';
import { defineRoute, type RouteSpec } from '../http/route';
import { pageOf } from '../schemas/common';
import {
  findingSchema,
  findingsQuerySchema,
  findingView,
  runParamsSchema,
  runSchema,
  runView,
  startRunSchema,
} from './reconciliation-schemas';

export interface ReconciliationDeps {
  readonly temporal: Client;
  readonly repository: Pick<Repository, 'reconciliation'>;
  readonly track: TrackWorkflow;
  readonly cursors: Cursors;
}

/** Reconciliation for operators: start a run, read it, list what runs found. */
export function reconciliationRoutes(deps: ReconciliationDeps): RouteSpec[] {
  const { temporal, repository, track } = deps;

  /** The stored run; `pending` while its workflow exists but has not begun it. */
  async function view(runId: string) {
    try {
      return runView(await repository.reconciliation.getRun(runId));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
    const described = await track('describe', RECONCILE_WORKFLOW_TYPE, () =>
      temporal.workflow.getHandle(runId).describe(),
    ).catch((error: unknown) => {
      throw error instanceof WorkflowNotFoundError
        ? notFound(`no reconciliation run ${runId}`)
        : error;
    });
    // Another workflow's id (a subscription's) is not a run.
    if (described.type !== RECONCILE_WORKFLOW_TYPE)
      throw notFound(`no reconciliation run ${runId}`);
    return {
      id: runId,
      status: 'pending' as const,
      startedAt: null,
      finishedAt: null,
      findings: {},
      checked: {},
    };
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/reconciliation/runs',
      operationId: 'startReconciliationRun',
      summary: 'Start a reconciliation run',
      description:
        'Starts the `reconcile` workflow (the same the schedule runs) and answers at once. The Idempotency-Key names the run: the same key answers the same run. Findings are only reported, never corrected.',
      tag: 'reconciliation',
      access: { admin: true },
      headers: z.strictObject({ 'Idempotency-Key': idempotencyKeySchema }),
      body: startRunSchema,
      responses: {
        202: { description: 'Started (or started earlier with this key)', schema: runSchema },
      },
      handle: async ({ headers, res }) => {
        // Admins share one namespace of run keys: any admin retrying a key gets the same run.
        const runId = reconcileWorkflowId(
          idFromIdempotencyKey('api', 'admin', headers['Idempotency-Key']),
        );
        res.locals['workflowId'] = runId;
        try {
          await track('start', RECONCILE_WORKFLOW_TYPE, () =>
            temporal.workflow.start(RECONCILE_WORKFLOW_TYPE, {
              taskQueue: RECONCILE_TASK_QUEUE,
              workflowId: runId,
              args: [{} satisfies ReconcileInput],
              // The workflow id is the idempotency: the same key never starts a second run.
              workflowIdConflictPolicy: 'FAIL',
              workflowIdReusePolicy: 'REJECT_DUPLICATE',
            }),
          );
        } catch (error) {
          if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
        }
        return {
          status: 202,
          body: await view(runId),
          headers: { Location: `/v1/reconciliation/runs/${runId}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliation/runs/{runId}',
      operationId: 'getReconciliationRun',
      summary: 'Get a reconciliation run',
      tag: 'reconciliation',
      access: { admin: true },
      params: runParamsSchema,
      responses: {
        200: { description: 'The run and what it found, by kind', schema: runSchema },
        404: { description: 'No such run' },
      },
      handle: async ({ params }) => ({ status: 200, body: await view(params.runId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/reconciliation/findings',
      operationId: 'listReconciliationFindings',
      summary: 'List reconciliation findings',
      description:
        'Open findings (`status=open`, the default), or every finding ever made (`status=all`), in no promised order. Cursor paging.',
      tag: 'reconciliation',
      access: { admin: true },
      query: findingsQuerySchema,
      responses: {
        200: {
          description: 'A page of findings',
          schema: pageOf(findingSchema, 'ReconciliationFindingPage'),
        },
      },
      handle: async ({ query }) => {
        const body = await listPage(
          deps.cursors,
          { listing: 'findings', scope: query.status },
          query,
          (page) => repository.reconciliation.listFindings(query.status, page),
          findingView,
        );
        return { status: 200, body };
      },
    }),
  ];
}
