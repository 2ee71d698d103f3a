export { temporalConnectionFromEnv } from './connection';
export type { TemporalConnectionConfig, TemporalConnectionResult, TemporalTls } from './connection';
export { connectOrExplain, diagnoseConnectionError } from './diagnose';
export type { ConnectionDiagnosis } from './diagnose';
export {
  AesGcmPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  payloadCodecFromEnv,
} from './codec';
export type { CodecKey, PayloadCodecResult } from './codec';
export {
  SHUTDOWN_EXIT_MARGIN_MS,
  SHUTDOWN_FORCE_MARGIN_MS,
  shutdownDeadlineMs,
  workerTuningOptions,
} from './worker-tuning';
export type { WorkerSlotOptions, WorkerTuning, WorkerTuningOptions } from './worker-tuning';
export { metricsEndpointError, workerMetricsUrl, workerTelemetryOptions } from './worker-metrics';
export type { WorkerMetricsEndpoint, WorkerTelemetryOptions } from './worker-metrics';
export {
  startTracing,
  startTracingFromEnv,
  traceLogFields,
  tracingSettingsFromEnv,
} from './tracing';
export type {
  OtlpProtocol,
  StartTracingOptions,
  Tracing,
  TracingSettings,
  TracingSettingsResult,
} from './tracing';
export { tracingClientInterceptors, tracingWorkerOptions } from './temporal-tracing';
export {
  ensureSearchAttributes,
  missingSearchAttributes,
  searchAttributeCommands,
  SearchAttributesError,
  searchAttributeTypeName,
} from './search-attributes';
export type {
  EnsureSearchAttributesOptions,
  SearchAttributeOperator,
  SearchAttributeSpec,
} from './search-attributes';
export { createAppLogger, forwardSdkLogs, LOG_FORMATS } from './logging';
export type { AppLoggerOptions, LogFormat, SdkLogEntry } from './logging';
export { workerSettingsFromEnv } from './worker-settings';
export type { WorkerSettingsResult } from './worker-settings';
export { startHealthServer } from './health-server';
export type { HealthServer, HealthServerOptions } from './health-server';
export { DEFAULT_BACKOFF, isConnectionError, keepWorkerRunning } from './keep-worker-running';
export type { Backoff, KeepWorkerRunningOptions, RetryEvent } from './keep-worker-running';
export { chooseWorkflowSource, runWorker } from './run-worker';
export type {
  RunWorkerOptions,
  WorkerFactoryDeps,
  WorkerSetup,
  WorkerSetupContext,
  WorkflowSource,
} from './run-worker';
