export { temporalConnectionFromEnv } from './connection';
export type { TemporalConnectionConfig, TemporalConnectionResult, TemporalTls } from './connection';
