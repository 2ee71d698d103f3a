export type { AstraRepositoryConfig, CassandraRepositoryConfig, RepositoryConfig } from './config';
export type {
  ApiKeyRecord,
  ApiKeyRole,
  AuditEvent,
  ChargeEntry,
  ChargeOutcome,
  Coupon,
  CouponStatus,
  Customer,
  EmailStatus,
  FindingObservation,
  FindingStatus,
  IntervalUnit,
  LoyaltyAccount,
  OutboxEmail,
  PaymentRecord,
  ProcessedPurchase,
  PurchaseKey,
  PurchaseSource,
  ReconciliationFinding,
  ReconciliationRun,
  SubscriptionProjection,
  SubscriptionStatus,
  Tenant,
} from './model/entities';
export type { Money } from './model/money';
export type { Page, PageRequest, Stored } from './ports/paging';
export type {
  AccessPort,
  ChargesPort,
  CouponsPort,
  CustomersPort,
  LoyaltyAccountsPort,
  OutboxPort,
  PaymentsPort,
  PurchasesPort,
  RateLimitsPort,
  ReconciliationPort,
  Repository,
  SubscriptionsPort,
  WindowCounts,
} from './ports/repository';
export { createInMemoryRateLimits } from './memory/in-memory-rate-limits';
export type { MigratableRepository } from './create-repository';
export { createRepository } from './create-repository';
export { migrateUntilDone } from './migrate-until-done';
export type { MigrateUntilDoneOptions } from './migrate-until-done';
export { repositoryConfigFromEnv, repositoryEnvSchema } from './config-from-env';
export {
  BackendRejectedError,
  ConflictError,
  InvalidCursorError,
  NotFoundError,
  RepositoryError,
  UnavailableError,
  ValidationError,
} from './errors';
export { chargeKey } from './model/rules';
export {
  currencySchema,
  idSchema,
  keySchema,
  moneySchema,
  storedIdSchema,
  storedKeySchema,
} from './model/validation';
export {
  isTenantId,
  localId,
  scopedId,
  TENANT_ID_PATTERN,
  TENANT_SEPARATOR,
  tenantOf,
} from './model/tenancy';
export {
  generateApiKey,
  hashSecret,
  keyIdOfSecret,
  keyUnusable,
  rollApiKey,
  secretMatches,
  type NewApiKey,
} from './model/api-key-secret';
