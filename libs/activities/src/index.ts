export { createBillingActivities } from './billing/create-billing-activities';
export type { BillingActivityDeps } from './billing/create-billing-activities';
export { renderBillingEmail } from './billing/billing-emails';
export { createLoyaltyNotifier } from './billing/loyalty-notifier';
export type { LoyaltyNotifier } from './billing/loyalty-notifier';
export { PaymentUnavailableError } from './billing/payment-gateway';
export type { ChargeRequest, PaymentGateway } from './billing/payment-gateway';
export { createSandboxGateway, SANDBOX_PAYMENT_METHODS } from './billing/sandbox-gateway';
export type { SandboxGatewayOptions } from './billing/sandbox-gateway';
export { createLoyaltyActivities } from './loyalty/create-loyalty-activities';
export type { LoyaltyActivityDeps } from './loyalty/create-loyalty-activities';
export { createOutboxMailer } from './mail/mailer';
export { createOutboxCourier, isPermanentDeliveryError } from './mail/outbox-courier';
export type { CourierRound, OutboxCourier, OutboxCourierOptions } from './mail/outbox-courier';
export { createSmtpDeliver } from './mail/smtp-deliver';
export type { Deliver, Mailer } from './mail/mailer';
export { toActivityFailure } from './to-activity-failure';
export { createReconciliationActivities } from './reconciliation/create-reconciliation-activities';
export type { ReconciliationActivityDeps } from './reconciliation/create-reconciliation-activities';
export {
  BUSINESS_METRIC_NAMES,
  createBillingMetrics,
  createLoyaltyMetrics,
  NO_BILLING_METRICS,
  NO_LOYALTY_METRICS,
} from './metrics/business-metrics';
export type { BillingMetrics, LoyaltyMetrics } from './metrics/business-metrics';
