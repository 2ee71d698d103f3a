import { payloadCodecFromEnv } from '@invincible/temporal-runtime';
import type { PayloadCodec } from '@temporalio/common';

/**
 * The payload codec a bench runs its clients and workers with: `PAYLOAD_CODEC_KEYS` (or `_FILE`)
 * read as the apps read them, so a bench measures what an encrypted deployment pays. Neither
 * set: payloads in clear. `label` says which, for the bench's report.
 */
export function benchPayloadCodecs(env: Readonly<Record<string, string | undefined>>): {
  readonly payloadCodecs: PayloadCodec[];
  readonly label: string;
} {
  const parsed = payloadCodecFromEnv(env);
  if (!parsed.ok) throw new Error(parsed.issues.join('\n'));
  return parsed.codec
    ? {
        payloadCodecs: [parsed.codec],
        label: `payloads encrypted (AES-256-GCM, key ${parsed.codec.activeKeyId})`,
      }
    : { payloadCodecs: [], label: 'payloads in clear (PAYLOAD_CODEC_KEYS not set)' };
}

/** The codec's variables of `env` that are set, for an app process a bench starts. */
export function payloadCodecEnv(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  return Object.fromEntries(
    ['PAYLOAD_CODEC_KEYS', 'PAYLOAD_CODEC_KEYS_FILE'].flatMap((name) => {
      const value = env[name];
      return value ? [[name, value]] : [];
    }),
  );
}
