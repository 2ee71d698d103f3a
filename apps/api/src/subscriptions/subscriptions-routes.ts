import { localId, NotFoundError, type Repository } from '@invincible/astra-repo';
import {
  BILLING_TASK_QUEUE,
  chargeAt,
  cancelUpdate,
  changePriceUpdate,
  detailsQuery,
  initialSubscriptionSearchAttributes,
  pauseUpdate,
  resumeUpdate,
  SUBSCRIPTION_WORKFLOW_TYPE,
  subscriptionWorkflowId,
  type SubscriptionInput,
} from '@invincible/workflows';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
} from '@temporalio/client';
import type { Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { customerParamsSchema } from '../customers/customer-schemas';
import { conflict, notFound, unprocessable } from '../http/http-error';
import { fingerprint, idempotencyKeySchema, idFromIdempotencyKey } from '../http/idempotency';
import { listPage, type Cursors } from '../http/cursors';
import type { TrackWorkflow } from '../http/metrics';
import type { TenantScope } from '../http/principal';
import { countRunning, quotaExceeded } from '../http/quotas';
import { auditSubject, defineRoute, type RouteSpec } from '../http/route';
import { pageOf, pageQuerySchema } from '../schemas/common';
import {
  cancelResultSchema,
  cancelSchema,
  changePriceResultSchema,
  changePriceSchema,
  chargeSchema,
  chargeView,
  createSubscriptionSchema,
  INTERVAL_UNITS,
  subscriptionParamsSchema,
  subscriptionEventSchema,
  subscriptionEventView,
  subscriptionSchema,
  viewFromDetails,
  viewFromProjection,
  type IntervalUnitName,
  type SubscriptionView,
} from './subscription-schemas';

/** Bounds on what a new subscription may ask for (issue #15: abuse by design). */
export interface SubscriptionLimits {
  /** The shortest billing unit (`hour` in production: per-second billing is for tests). */
  readonly minBillingInterval: IntervalUnitName;
  /** How far back `startAt` may be; never so far that more than one past period is billed. */
  readonly startAtMaxBackdateMs: number;
  readonly startAtMaxAheadMs: number;
}

export interface SubscriptionsDeps {
  readonly temporal: Client;
  readonly repository: Pick<Repository, 'customers' | 'subscriptions' | 'charges' | 'access'>;
  readonly track: TrackWorkflow;
  readonly now: () => Date;
  /** How long a read waits for the workflow's answer before using the stored projection. */
  readonly queryTimeoutMs: number;
  /** How long a request waits for an Update's outcome before answering 503 (safe to retry). */
  readonly updateTimeoutMs: number;
  readonly logger?: Logger;
  readonly cursors: Cursors;
  readonly limits: SubscriptionLimits;
  /** Whether this request may bill in units below `limits.minBillingInterval` (a test tenant). */
  readonly allowShortIntervals: (res: Response) => boolean;
}

const DAY_MS = 86_400_000;

/** Why `unit` is shorter than `limits` allow for this request, or null. */
export function intervalProblem(
  unit: IntervalUnitName,
  limits: SubscriptionLimits,
  allowShortIntervals: boolean,
): string | null {
  if (
    !allowShortIntervals &&
    INTERVAL_UNITS.indexOf(unit) < INTERVAL_UNITS.indexOf(limits.minBillingInterval)
  )
    return `interval: ${unit} billing is not allowed here; the shortest unit is ${limits.minBillingInterval}`;
  return null;
}

/** Why `body.startAt` is out of the bounds of `limits` at `now`, or null. */
export function startAtProblem(
  body: {
    readonly interval: { readonly unit: IntervalUnitName; readonly count: number };
    readonly startAt?: string | undefined;
    readonly timeZone?: string | undefined;
    readonly trialDays?: number | undefined;
  },
  limits: SubscriptionLimits,
  now: Date,
): string | null {
  if (body.startAt === undefined) return null;
  const start = Date.parse(body.startAt);
  if (now.getTime() - start > limits.startAtMaxBackdateMs)
    return `startAt: more than ${durationText(limits.startAtMaxBackdateMs)} in the past`;
  if (start - now.getTime() > limits.startAtMaxAheadMs)
    return `startAt: more than ${durationText(limits.startAtMaxAheadMs)} ahead`;
  // A back-dated start bills every period due before now at once: allow one, never a backlog.
  const anchorAt = new Date(start + (body.trialDays ?? 0) * DAY_MS);
  const second = chargeAt(
    { anchorAt, timeZone: body.timeZone ?? 'UTC', interval: body.interval },
    2,
  );
  if (second.getTime() <= now.getTime())
    return `startAt: would bill more than one past period at once (period 2 was due ${second.toISOString()}); start at most one period back`;
  return null;
}

/** `86400000` → `24h`: the largest unit that divides the duration. */
function durationText(ms: number): string {
  for (const [unit, size] of [
    ['d', DAY_MS],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ] as const)
    if (ms % size === 0 && ms >= size) return `${ms / size}${unit}`;
  return `${ms}ms`;
}

const optionalKey = z.strictObject({ 'Idempotency-Key': idempotencyKeySchema.optional() });

/** Subscriptions: each is one `subscription` workflow, id derived from its Idempotency-Key. */
export function subscriptionsRoutes(deps: SubscriptionsDeps): RouteSpec[] {
  const { temporal, repository, track } = deps;

  /**
   * Live state from the workflow; the projection when it has ended or cannot answer now.
   * `subscriptionId` is the stored id (`<tenant>~<id>`); the view shows the tenant's ids.
   */
  async function view(subscriptionId: string): Promise<SubscriptionView> {
    const handle = temporal.workflow.getHandle(subscriptionWorkflowId(subscriptionId));
    const running = await track('describe', 'subscription', () => handle.describe()).then(
      (d) => d.status.name === 'RUNNING',
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
    if (running) {
      try {
        const details = await temporal.withDeadline(Date.now() + deps.queryTimeoutMs, () =>
          track('query', detailsQuery.name, () => handle.query(detailsQuery)),
        );
        return viewFromDetails(details);
      } catch (error) {
        // No worker answered in time: the projection is the next best thing, if there is one.
        const stored = await repository.subscriptions.get(subscriptionId).catch(() => undefined);
        if (stored) return viewFromProjection(stored);
        throw error;
      }
    }
    return viewFromProjection(
      await repository.subscriptions.get(subscriptionId).catch((error: unknown) => {
        throw error instanceof NotFoundError
          ? notFound(`no subscription ${localId(subscriptionId)}`)
          : error;
      }),
    );
  }

  /**
   * Runs an Update within the Update deadline (every gRPC call of it, the client's polling for
   * the outcome included, ends by then: a stalled workflow is a 503, not a request held open);
   * a closed workflow is a 409 (it ended), a missing one a 404.
   */
  async function update<T>(subscriptionId: string, name: string, call: () => Promise<T>) {
    try {
      return await temporal.withDeadline(Date.now() + deps.updateTimeoutMs, () =>
        track('update', name, call),
      );
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      const stored = await repository.subscriptions.get(subscriptionId).catch(() => undefined);
      if (!stored) throw notFound(`no subscription ${localId(subscriptionId)}`);
      throw conflict(`the subscription has ended (${stored.status})`);
    }
  }

  /**
   * A tenant may run at most `maxActiveSubscriptions` subscriptions at once (soft: see
   * quotas.ts). The retry of a create whose workflow already runs is never refused by it.
   */
  async function withinQuota(tenant: TenantScope, workflowId: string): Promise<void> {
    const limit = tenant.principal.tenant.maxActiveSubscriptions;
    const running = await countRunning(temporal, subscriptionWorkflowId(tenant.id('')), {
      timeoutMs: deps.queryTimeoutMs,
      logger: deps.logger,
    });
    if (running === null || running < limit) return;
    const exists = await track('describe', 'subscription', () =>
      temporal.workflow.getHandle(workflowId).describe(),
    ).then(
      () => true,
      (error: unknown) => {
        if (error instanceof WorkflowNotFoundError) return false;
        throw error;
      },
    );
    if (!exists)
      throw quotaExceeded(
        `this account may run at most ${limit} subscriptions at once; cancel one or ask for a higher limit`,
      );
  }

  /**
   * 404 unless the subscription exists, decided as a read decides it but cheapest first: its
   * stored projection, else its workflow (one just created may have no projection yet).
   */
  async function assertExists(subscriptionId: string): Promise<void> {
    const stored = await repository.subscriptions.get(subscriptionId).then(
      () => true,
      (error: unknown) => {
        if (error instanceof NotFoundError) return false;
        throw error;
      },
    );
    if (stored) return;
    await track('describe', 'subscription', () =>
      temporal.workflow.getHandle(subscriptionWorkflowId(subscriptionId)).describe(),
    ).catch((error: unknown) => {
      throw error instanceof WorkflowNotFoundError
        ? notFound(`no subscription ${localId(subscriptionId)}`)
        : error;
    });
  }

  const handleOf = (subscriptionId: string) =>
    temporal.workflow.getHandle(subscriptionWorkflowId(subscriptionId));
  const updateId = (operation: string, key: string | undefined) =>
    key ? { updateId: `${operation}:${key}` } : {};

  return [
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions',
      operationId: 'createSubscription',
      summary: 'Start a subscription',
      description:
        'Starts the subscription workflow. The Idempotency-Key names it: the same key with the same body answers 200 with the same subscription (across API replicas and restarts, because the id is the workflow id); with another body, 409.',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:write' },
      headers: z.strictObject({ 'Idempotency-Key': idempotencyKeySchema }),
      body: createSubscriptionSchema,
      responses: {
        201: { description: 'Started', schema: subscriptionSchema },
        200: { description: 'Started earlier by the same request', schema: subscriptionSchema },
        409: { description: 'The Idempotency-Key was used with another request' },
        422: {
          description:
            'The customer does not exist, the interval is shorter than allowed, or startAt is out of bounds',
        },
      },
      handle: async ({ body, headers, tenant, req, res }) => {
        // The unit first: a refused request costs no database or Temporal call.
        const shortInterval = intervalProblem(
          body.interval.unit,
          deps.limits,
          deps.allowShortIntervals(res),
        );
        if (shortInterval) throw unprocessable(shortInterval);
        const localSubscriptionId = idFromIdempotencyKey(
          'sub',
          tenant.tenantId,
          headers['Idempotency-Key'],
        );
        const subscriptionId = tenant.id(localSubscriptionId);
        const location = `/v1/subscriptions/${localSubscriptionId}`;
        const workflowId = subscriptionWorkflowId(subscriptionId);
        res.locals['workflowId'] = workflowId;
        const requestFingerprint = fingerprint(body);
        const customer = await repository.customers
          .get(tenant.id(body.customerId))
          .catch((e: unknown) => {
            throw e instanceof NotFoundError
              ? unprocessable(`customer ${body.customerId} does not exist`)
              : e;
          });
        const input: SubscriptionInput = {
          subscriptionId,
          customerId: customer.id,
          customerEmail: customer.email,
          paymentMethod: body.paymentMethod,
          price: { amountMinor: body.price.amountMinor, currency: body.price.currency },
          interval: { unit: body.interval.unit, count: body.interval.count },
          startAt: body.startAt ?? deps.now().toISOString(),
          timeZone: body.timeZone ?? 'UTC',
          ...(body.trialDays !== undefined ? { trialDays: body.trialDays } : {}),
          ...(body.maxPeriods !== undefined ? { maxPeriods: body.maxPeriods } : {}),
        };
        // Temporal forgets a closed run after the namespace's retention; the stored projection
        // does not. A subscription already stored under this key is answered, never started again
        // (a second start would charge period 1 again).
        const stored = await repository.subscriptions.get(subscriptionId).catch((e: unknown) => {
          if (e instanceof NotFoundError) return null;
          throw e;
        });
        if (stored) {
          const existing = await track('describe', 'subscription', () =>
            temporal.workflow.getHandle(workflowId).describe(),
          ).catch((e: unknown) => {
            if (e instanceof WorkflowNotFoundError) return null;
            throw e;
          });
          // While Temporal remembers the run, its memo has the request's fingerprint; after, the
          // projection's immutable fields are what is left to compare (the price may have changed).
          const same = existing
            ? existing.memo?.['requestFingerprint'] === requestFingerprint
            : stored.customerId === input.customerId &&
              stored.interval.unit === input.interval.unit &&
              stored.interval.count === input.interval.count &&
              stored.timeZone === input.timeZone &&
              stored.price.currency === input.price.currency;
          if (!same)
            throw conflict('this Idempotency-Key was already used with a different request');
          return { status: 200, body: await view(subscriptionId), headers: { Location: location } };
        }
        // startAt's bounds move with time: a retry of a create that started the subscription
        // while it was within them gets its answer (below); only a new start is refused.
        const refusal = startAtProblem(body, deps.limits, deps.now());
        let created = refusal === null;
        if (created) {
          await withinQuota(tenant, workflowId);
          try {
            await track('start', SUBSCRIPTION_WORKFLOW_TYPE, () =>
              temporal.workflow.start(SUBSCRIPTION_WORKFLOW_TYPE, {
                taskQueue: BILLING_TASK_QUEUE,
                workflowId,
                args: [input],
                memo: { requestFingerprint },
                // Found by `CustomerId`, `SubscriptionStatus` and `NextChargeAt` from the start.
                typedSearchAttributes: initialSubscriptionSearchAttributes(input),
                // The workflow id is the idempotency: a second start fails, even after it ended.
                workflowIdConflictPolicy: 'FAIL',
                workflowIdReusePolicy: 'REJECT_DUPLICATE',
              }),
            );
          } catch (error) {
            if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
            created = false;
          }
        }
        if (!created) {
          const existing = await track('describe', 'subscription', () =>
            temporal.workflow.getHandle(workflowId).describe(),
          ).catch((e: unknown) => {
            if (refusal !== null && e instanceof WorkflowNotFoundError)
              throw unprocessable(refusal);
            throw e;
          });
          if (existing.memo?.['requestFingerprint'] !== requestFingerprint) {
            throw conflict('this Idempotency-Key was already used with a different request');
          }
        }
        // Started either way; until a worker has run it, the answer is what was asked for.
        const current = await view(subscriptionId).catch((error: unknown) => {
          req.log.info({ err: error, workflowId }, 'subscription not readable yet');
          return pendingView(input);
        });
        return { status: created ? 201 : 200, body: current, headers: { Location: location } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscriptions/{subscriptionId}',
      operationId: 'getSubscription',
      summary: 'Get a subscription',
      description:
        'Live state from the workflow; once it has ended, the stored projection (`source` says which).',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:read', customer: true },
      params: subscriptionParamsSchema,
      responses: {
        200: { description: 'The subscription', schema: subscriptionSchema },
        404: { description: 'No such subscription' },
      },
      handle: async ({ params, tenant }) => {
        const current = await view(tenant.id(params.subscriptionId));
        tenant.assertCustomer(current.customerId, `subscription ${params.subscriptionId}`);
        return { status: 200, body: current };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}/subscriptions',
      operationId: 'listCustomerSubscriptions',
      summary: "List a customer's subscriptions",
      description: 'From the stored projections, which follow the workflows within moments.',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:read', customer: true },
      params: customerParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: {
          description: 'A page of subscriptions',
          schema: pageOf(subscriptionSchema, 'SubscriptionPage'),
        },
      },
      handle: async ({ params, query, tenant }) => {
        const customerId = tenant.id(params.customerId);
        const body = await listPage(
          deps.cursors,
          { listing: 'subscriptions', scope: customerId },
          query,
          (page) => repository.subscriptions.listByCustomer(customerId, page),
          viewFromProjection,
        );
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions/{subscriptionId}/cancel',
      operationId: 'cancelSubscription',
      summary: 'Cancel a subscription, now or at the end of the period',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:write' },
      params: subscriptionParamsSchema,
      headers: optionalKey,
      body: cancelSchema,
      responses: {
        200: { description: 'Canceled (or set to cancel)', schema: cancelResultSchema },
        404: { description: 'No such subscription' },
        409: { description: 'Already canceled, or ended' },
        422: { description: 'The workflow refused the request' },
      },
      handle: async ({ params, body, headers, tenant }) => {
        const id = tenant.id(params.subscriptionId);
        const result = await update(id, cancelUpdate.name, () =>
          handleOf(id).executeUpdate(cancelUpdate, {
            args: [{ mode: body.mode, ...(body.reason ? { reason: body.reason } : {}) }],
            ...updateId('cancel', headers['Idempotency-Key']),
          }),
        );
        return {
          status: 200,
          body: { subscriptionId: params.subscriptionId, effectiveAt: result.effectiveAt },
        };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/subscriptions/{subscriptionId}/price',
      operationId: 'changeSubscriptionPrice',
      summary: 'Change the price from the next period on',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:write' },
      params: subscriptionParamsSchema,
      headers: optionalKey,
      body: changePriceSchema,
      responses: {
        200: {
          description: 'The period the new price applies from',
          schema: changePriceResultSchema,
        },
        404: { description: 'No such subscription' },
        409: { description: 'Canceled, being canceled, or ended' },
        422: { description: 'Refused, e.g. another currency' },
      },
      handle: async ({ params, body, headers, tenant }) => {
        const id = tenant.id(params.subscriptionId);
        const result = await update(id, changePriceUpdate.name, () =>
          handleOf(id).executeUpdate(changePriceUpdate, {
            args: [
              { price: { amountMinor: body.price.amountMinor, currency: body.price.currency } },
            ],
            ...updateId('price', headers['Idempotency-Key']),
          }),
        );
        return {
          status: 200,
          body: { subscriptionId: params.subscriptionId, fromPeriod: result.fromPeriod },
        };
      },
    }),
    ...(['pause', 'resume'] as const).map((operation) =>
      defineRoute({
        method: 'post',
        path: `/v1/subscriptions/{subscriptionId}/${operation}`,
        operationId: `${operation}Subscription`,
        summary:
          operation === 'pause'
            ? 'Pause billing (periods inside the pause are not billed)'
            : 'Resume billing at the first anchor date after now',
        tag: 'subscriptions',
        access: { permission: 'subscriptions:write' },
        params: subscriptionParamsSchema,
        headers: optionalKey,
        responses: {
          200: { description: 'The subscription after the change', schema: subscriptionSchema },
          404: { description: 'No such subscription' },
          409: {
            description: operation === 'pause' ? 'Not active, or set to cancel' : 'Not paused',
          },
        },
        handle: async ({ params, headers, tenant }) => {
          const id = tenant.id(params.subscriptionId);
          const options = updateId(operation, headers['Idempotency-Key']);
          // The Update's own result is the state right after the change; a read afterwards may
          // fall back to an older projection (no worker answered the query in time) and would
          // answer 200 without the pause it just made.
          const after =
            operation === 'pause'
              ? await update(id, pauseUpdate.name, () =>
                  handleOf(id).executeUpdate(pauseUpdate, options),
                )
              : (
                  await update(id, resumeUpdate.name, () =>
                    handleOf(id).executeUpdate(resumeUpdate, options),
                  )
                ).state;
          const current = await view(id);
          return {
            status: 200,
            body: after
              ? viewFromDetails({
                  subscriptionId: id,
                  customerId: current.customerId,
                  interval: current.interval,
                  timeZone: current.timeZone,
                  maxPeriods: null,
                  state: after,
                })
              : current,
          };
        },
      }),
    ),
    defineRoute({
      method: 'get',
      path: '/v1/subscriptions/{subscriptionId}/charges',
      operationId: 'listSubscriptionCharges',
      summary: 'List the charge ledger of a subscription',
      description: 'Every attempt, in (period, attempt) order.',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:read' },
      params: subscriptionParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: { description: 'A page of charges', schema: pageOf(chargeSchema, 'ChargePage') },
      },
      handle: async ({ params, query, tenant }) => {
        const subscriptionId = tenant.id(params.subscriptionId);
        const body = await listPage(
          deps.cursors,
          { listing: 'charges', scope: subscriptionId },
          query,
          (page) => repository.charges.listBySubscription(subscriptionId, page),
          chargeView,
        );
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/subscriptions/{subscriptionId}/events',
      operationId: 'listSubscriptionEvents',
      summary: 'List the changes made to a subscription, newest first',
      description:
        'From the audit log: each pause, resume, price change and cancellation that succeeded (a refused request changed nothing and is not listed), who made it and when. Changes made before the audit log recorded subjects are not listed. A page may hold fewer items than `limit` (refused requests are left out of it); follow `nextCursor` until it is null.',
      tag: 'subscriptions',
      access: { permission: 'subscriptions:read' },
      params: subscriptionParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: {
          description: 'A page of changes',
          schema: pageOf(subscriptionEventSchema, 'SubscriptionEventPage'),
        },
        404: { description: 'No such subscription' },
      },
      handle: async ({ params, query, tenant }) => {
        const subscriptionId = tenant.id(params.subscriptionId);
        // The cursor is checked before anything is read: a bad one is a 400 whatever exists.
        deps.cursors.open('subscription-events', subscriptionId, query.cursor);
        await assertExists(subscriptionId);
        const subject = auditSubject('subscription', params.subscriptionId);
        const page = await listPage(
          deps.cursors,
          { listing: 'subscription-events', scope: subscriptionId },
          query,
          (page) => repository.access.listAuditBySubject(tenant.tenantId, subject, page),
          (event) => event,
        );
        const items = page.items
          .filter((e) => e.status >= 200 && e.status < 300)
          .map(subscriptionEventView);
        return { status: 200, body: { items, nextCursor: page.nextCursor } };
      },
    }),
  ];
}

/** What is known of a subscription whose workflow no worker has run yet: the request. */
function pendingView(input: SubscriptionInput): SubscriptionView {
  return {
    id: localId(input.subscriptionId),
    customerId: localId(input.customerId),
    status: 'pending',
    price: input.price,
    interval: input.interval,
    timeZone: input.timeZone,
    nextChargeAt: null,
    periodsBilled: 0,
    pendingPrice: null,
    cancel: null,
    pausedAt: null,
    source: 'request',
    workflowId: subscriptionWorkflowId(input.subscriptionId),
  };
}
