export { temporalConnectionFromEnv } from './connection';
export type { TemporalConnectionConfig, TemporalConnectionResult, TemporalTls } from './connection';
export { connectOrExplain, diagnoseConnectionError } from './diagnose';
export type { ConnectionDiagnosis } from './diagnose';
