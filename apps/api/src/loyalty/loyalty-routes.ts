import {
  localId,
  NotFoundError,
  type ProcessedPurchase,
  type Repository,
} from '@invincible/astra-repo';
import {
  getPointsQuery,
  LOYALTY_TASK_QUEUE,
  LOYALTY_WORKFLOW_TYPE,
  loyaltySearchAttributes,
  loyaltyWorkflowId,
  purchaseProblem,
  recordPurchaseUpdate,
  redeemCouponUpdate,
  type LoyaltyInput,
  type Purchase,
} from '@invincible/workflows';
import { DEFAULT_SETTINGS as DEFAULT_LOYALTY_SETTINGS } from '@invincible/workflows/loyalty/rules';
import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { z } from 'zod';
import { customerParamsSchema } from '../customers/customer-schemas';
import { findCustomer } from '../customers/find-customer';
import { conflict, notFound, unprocessable } from '../http/http-error';
import { idempotencyKeySchema } from '../http/idempotency';
import { listPage, type Cursors } from '../http/cursors';
import type { TrackWorkflow } from '../http/metrics';
import type { TenantScope } from '../http/principal';
import { countRunning, quotaExceeded } from '../http/quotas';
import { defineRoute, type RouteSpec } from '../http/route';
import { pageOf, pageQuerySchema } from '../schemas/common';
import {
  couponParamsSchema,
  couponSchema,
  couponView,
  emailSchema,
  emailView,
  loyaltySchema,
  loyaltyView,
  purchaseSchema,
  purchaseView,
  purchaseResultSchema,
  purchaseResultView,
  recordPurchaseSchema,
} from './loyalty-schemas';

export interface LoyaltyDeps {
  readonly temporal: Client;
  readonly repository: Pick<
    Repository,
    'customers' | 'loyalty' | 'coupons' | 'outbox' | 'purchases'
  >;
  readonly track: TrackWorkflow;
  readonly now: () => Date;
  readonly queryTimeoutMs: number;
  /** How long a request waits for an Update's outcome before answering 503 (safe to retry). */
  readonly updateTimeoutMs: number;
  readonly logger?: Logger;
  readonly cursors: Cursors;
}

/** The loyalty program of a customer: one never-ending `loyaltyProgram` workflow each. */
export function loyaltyRoutes(deps: LoyaltyDeps): RouteSpec[] {
  const { temporal, repository, track } = deps;

  /** The ledger's row for a caller's purchaseId, or null before it is counted. */
  const ledgerRow = (customerId: string, purchaseId: string) =>
    repository.purchases.get(customerId, { source: 'purchase', purchaseId }).catch((e: unknown) => {
      if (e instanceof NotFoundError) return null;
      throw e;
    });
  /** A purchaseId names one purchase: the same id with another total is another purchase. */
  const refuseIfOther = (stored: ProcessedPurchase | null, purchase: Purchase) => {
    if (
      stored &&
      (stored.total.amountMinor !== purchase.total || stored.total.currency !== purchase.currency)
    )
      throw conflict(
        `purchase ${purchase.purchaseId} was recorded with a total of ${stored.total.amountMinor} ${stored.total.currency} (minor units); another total or currency needs another purchaseId`,
      );
  };

  const customer = (customerId: string) => findCustomer(repository.customers, customerId);

  /**
   * A customer's first purchase starts a loyalty program: a tenant may have at most
   * `maxLoyaltyPrograms` (soft: see quotas.ts). A customer with an account already has one.
   */
  async function withinQuota(tenant: TenantScope, customerId: string): Promise<void> {
    const hasProgram = await repository.loyalty.get(customerId).then(
      () => true,
      (error: unknown) => {
        if (error instanceof NotFoundError) return false;
        throw error;
      },
    );
    if (hasProgram) return;
    const limit = tenant.principal.tenant.maxLoyaltyPrograms;
    const running = await countRunning(temporal, loyaltyWorkflowId(tenant.id('')), {
      timeoutMs: deps.queryTimeoutMs,
      logger: deps.logger,
    });
    if (running !== null && running >= limit)
      throw quotaExceeded(
        `this account may have at most ${limit} loyalty programs; ask for a higher limit`,
      );
  }

  return [
    defineRoute({
      method: 'post',
      path: '/v1/customers/{customerId}/purchases',
      operationId: 'recordPurchase',
      summary: 'Record a purchase: 100 points per currency unit',
      description:
        "Starts the customer's loyalty program if needed (update-with-start) and counts the purchase once by `purchaseId` — the customer's own: another customer's purchase with the same id is another purchase, and subscription charges never share its ids. The update id derives from the purchaseId, so a retry of this request gets the first answer again (201, `counted: true`), whichever API replica serves it, even months later; a purchaseId already counted some other way (the `notify-purchase` signal, another request) answers 200 with that first result, `counted: false`, and adds nothing. A purchase that would earn more than 100 coupons is refused (422).",
      tag: 'loyalty',
      access: { permission: 'loyalty:write' },
      params: customerParamsSchema,
      body: recordPurchaseSchema,
      responses: {
        201: {
          description: 'Counted (or a retry of the request that counted it)',
          schema: purchaseResultSchema,
        },
        200: {
          description: 'Counted before by another request: nothing added',
          schema: purchaseResultSchema,
        },
        404: { description: 'No such customer' },
        409: {
          description:
            'The purchaseId was recorded with another total or currency (the points ledger says so)',
        },
        422: { description: 'More points than 100 coupons, or refused by the workflow' },
      },
      handle: async ({ params, body, res, tenant }) => {
        const purchase: Purchase = {
          purchaseId: body.purchaseId,
          total: body.total,
          currency: body.currency,
          occurredAt: body.occurredAt ?? deps.now().toISOString(),
        };
        // Bounded before anything is read or started: a program runs the default settings (the
        // API starts every program with them), and refuses more than 100 coupons per purchase.
        const problem = purchaseProblem(purchase, DEFAULT_LOYALTY_SETTINGS);
        if (problem) throw unprocessable(problem);
        const { id, email } = await customer(tenant.id(params.customerId));
        const workflowId = loyaltyWorkflowId(id);
        res.locals['workflowId'] = workflowId;
        // The ledger, not the workflow's memory, decides what a purchaseId stands for.
        refuseIfOther(await ledgerRow(id, purchase.purchaseId), purchase);
        await withinQuota(tenant, id);
        const input: LoyaltyInput = { customerId: id, customerEmail: email };
        // Bounded like every Update: a stalled workflow is a 503, safe to retry (same purchaseId).
        const result = await temporal.withDeadline(Date.now() + deps.updateTimeoutMs, () =>
          track('update-with-start', recordPurchaseUpdate.name, () =>
            temporal.workflow.executeUpdateWithStart(recordPurchaseUpdate, {
              args: [purchase],
              // Temporal answers a repeated update id with the first outcome; the workflow's own
              // dedupe by purchaseId covers everything older than the current run.
              updateId: `purchase:${purchase.purchaseId}`,
              startWorkflowOperation: new WithStartWorkflowOperation(LOYALTY_WORKFLOW_TYPE, {
                workflowId,
                taskQueue: LOYALTY_TASK_QUEUE,
                args: [input],
                workflowIdConflictPolicy: 'USE_EXISTING',
                typedSearchAttributes: loyaltySearchAttributes(id),
              }),
            }),
          ),
        );
        // Two requests with one purchaseId and different totals may both pass the check above:
        // the ledger row written by the first counted tells the other one (after its update,
        // whose answer is the first one's) that it was a conflict.
        refuseIfOther(await ledgerRow(id, purchase.purchaseId).catch(() => null), purchase);
        return { status: result.counted ? 201 : 200, body: purchaseResultView(result) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}/loyalty',
      operationId: 'getLoyaltyBalance',
      summary: 'Points balance, lifetime points, coupons and recent purchases',
      tag: 'loyalty',
      access: { permission: 'loyalty:read', customer: true },
      params: customerParamsSchema,
      responses: {
        200: { description: 'The balance', schema: loyaltySchema },
        404: { description: 'No such customer' },
      },
      handle: async ({ params, tenant }) => {
        const customerId = tenant.id(params.customerId);
        const handle = temporal.workflow.getHandle(loyaltyWorkflowId(customerId));
        try {
          const points = await temporal.withDeadline(Date.now() + deps.queryTimeoutMs, () =>
            track('query', getPointsQuery.name, () => handle.query(getPointsQuery)),
          );
          return { status: 200, body: loyaltyView(points) };
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) {
            // No worker answered in time: the stored projection, if there is one.
            const stored = await repository.loyalty.get(customerId).catch(() => undefined);
            if (!stored) throw error;
            return {
              status: 200,
              body: {
                ...loyaltyView({
                  ...stored,
                  recentPurchases: [],
                  rejectedSignals: 0,
                  rejected: { undecodable: 0, malformed: 0, unknown: 0 },
                }),
              },
            };
          }
          // No purchase yet: a customer that exists has an empty account.
          const { id } = await customer(customerId);
          return {
            status: 200,
            body: {
              customerId: localId(id),
              balance: 0,
              lifetimePoints: 0,
              couponsIssued: 0,
              couponsRedeemed: 0,
              recentPurchases: [],
              workflowId: loyaltyWorkflowId(id),
            },
          };
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}/coupons',
      operationId: 'listCoupons',
      summary: "List a customer's coupons",
      tag: 'loyalty',
      access: { permission: 'loyalty:read', customer: true },
      params: customerParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: { description: 'A page of coupons', schema: pageOf(couponSchema, 'CouponPage') },
      },
      handle: async ({ params, query, tenant }) => {
        const customerId = tenant.id(params.customerId);
        const body = await listPage(
          deps.cursors,
          { listing: 'coupons', scope: customerId },
          query,
          (page) => repository.coupons.listByCustomer(customerId, page),
          couponView,
        );
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}/purchases',
      operationId: 'listPurchases',
      summary: "List a customer's counted purchases (the points ledger)",
      description:
        "Every purchase the customer's loyalty program counted, from the ledger that is the source of truth for points: recorded through this API and awarded for subscription charges (`source`). In no promised order (on Cassandra: charges, then purchases, each by id). Cursor paging.",
      tag: 'loyalty',
      access: { permission: 'loyalty:read', customer: true },
      params: customerParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: { description: 'A page of purchases', schema: pageOf(purchaseSchema, 'PurchasePage') },
        404: { description: 'No such customer' },
      },
      handle: async ({ params, query, tenant }) => {
        const customerId = tenant.id(params.customerId);
        // The customer first: an unknown one is a 404, not an empty ledger.
        await customer(customerId);
        const body = await listPage(
          deps.cursors,
          { listing: 'purchases', scope: customerId },
          query,
          (page) => repository.purchases.listByCustomer(customerId, page),
          purchaseView,
        );
        return { status: 200, body };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customers/{customerId}/coupons/{couponId}/redeem',
      operationId: 'redeemCoupon',
      summary: 'Redeem a coupon, at most once',
      description:
        'Of concurrent redeems exactly one succeeds; the others get 409. Retrying with the same Idempotency-Key returns the first answer.',
      tag: 'loyalty',
      access: { permission: 'loyalty:write', customer: true },
      params: couponParamsSchema,
      headers: z.strictObject({ 'Idempotency-Key': idempotencyKeySchema.optional() }),
      responses: {
        200: { description: 'Redeemed', schema: couponSchema },
        404: { description: 'No such customer or coupon' },
        409: { description: 'Already redeemed' },
      },
      handle: async ({ params, headers, res, tenant }) => {
        const workflowId = loyaltyWorkflowId(tenant.id(params.customerId));
        res.locals['workflowId'] = workflowId;
        const key = headers['Idempotency-Key'];
        const redeemed = await temporal
          .withDeadline(Date.now() + deps.updateTimeoutMs, () =>
            track('update', redeemCouponUpdate.name, () =>
              temporal.workflow.getHandle(workflowId).executeUpdate(redeemCouponUpdate, {
                args: [{ couponId: tenant.id(params.couponId) }],
                ...(key ? { updateId: `redeem:${key}` } : {}),
              }),
            ),
          )
          .catch((error: unknown) => {
            throw error instanceof WorkflowNotFoundError
              ? notFound(`customer ${params.customerId} has no coupon ${params.couponId}`)
              : error;
          });
        return { status: 200, body: couponView(redeemed) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/{customerId}/emails',
      operationId: 'listEmails',
      summary: 'List the emails sent to a customer (the outbox), newest first',
      tag: 'customers',
      access: { permission: 'emails:read' },
      params: customerParamsSchema,
      query: pageQuerySchema,
      responses: {
        200: { description: 'A page of emails', schema: pageOf(emailSchema, 'EmailPage') },
      },
      handle: async ({ params, query, tenant }) => {
        const customerId = tenant.id(params.customerId);
        const body = await listPage(
          deps.cursors,
          { listing: 'emails', scope: customerId },
          query,
          (page) => repository.outbox.listByCustomer(customerId, page),
          emailView,
        );
        return { status: 200, body };
      },
    }),
  ];
}
