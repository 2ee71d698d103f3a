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
