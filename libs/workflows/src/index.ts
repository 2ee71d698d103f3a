/**
 * What API and workers import: the published contracts of every domain (task queues, workflow
 * ids, message definitions). A domain's internals are not exported here: workflow functions are
 * loaded through a worker's `workflowsPath`, and loyalty's rules are `@invincible/workflows/loyalty/rules`
 * (for loyalty's own code and the edges). `./billing/contract` and `./loyalty/contract` are each
 * domain's contract alone.
 */
export * from './billing/contract';
export { chargeAt, isTimeZone } from './billing/calendar';
export type { BillingSchedule, IntervalUnit } from './billing/calendar';
export * from './loyalty/contract';
export * from './reconciliation/contract';
export * from './search-attributes/contract';
export * from './billing/search-attributes';

/** Module specifiers of the workflow sources, for `require.resolve` in the workers. */
export const WORKFLOW_SOURCES = {
  billing: '@invincible/workflows/billing/workflows',
  loyalty: '@invincible/workflows/loyalty/workflows',
} as const;

export type { RejectedMessages } from './messages/message-guard';

/**
 * Module specifier of the workers' payload converter (undecodable payloads become a marker the
 * message guard rejects, instead of a workflow-task failure). Every worker passes it as
 * `dataConverter.payloadConverterPath`, and the workflow bundle is built with it.
 */
export const PAYLOAD_CONVERTER_SOURCE = '@invincible/workflows/payload-converter';

/**
 * The module of the workflow-side tracing interceptors (OpenTelemetry, on per run behind a patch:
 * see src/tracing/interceptors.ts). Every worker installs it (`interceptors.workflowModules`, and
 * the prebuilt bundle's `workflowInterceptorModules`), and so does every replay.
 */
export const TRACING_INTERCEPTORS_SOURCE = '@invincible/workflows/tracing-interceptors';
