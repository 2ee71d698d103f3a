import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { decode as text, encode as bytes } from '@temporalio/common/lib/encoding';
import { temporal } from '@temporalio/proto';

/** The metadata `encoding` of an encrypted payload, and where its key id is kept. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const ProtoPayload = temporal.api.common.v1.Payload;

/** A named AES-256 key. */
export interface CodecKey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * Encrypts every payload with AES-256-GCM under the first key (the whole payload, metadata
 * included, serialized as its protobuf), and decrypts with whichever key the payload names, so
 * payloads written before a key rotation still decode while the old key is listed. A payload that
 * is not encrypted (written before encryption was turned on) passes through unchanged.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  // ECMAScript-private: no log line, JSON.stringify or util.inspect of a config reaches the keys.
  readonly #byId: ReadonlyMap<string, Buffer>;
  readonly #keys: readonly CodecKey[];

  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new Error('AesGcmPayloadCodec needs at least one key');
    this.#keys = keys;
    this.#byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** What a log line or a dump shows: the key ids, never the keys. */
  toJSON(): { readonly keyIds: readonly string[] } {
    return { keyIds: this.#keys.map((k) => k.id) };
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `AesGcmPayloadCodec { keyIds: [${this.#keys.map((k) => `'${k.id}'`).join(', ')}] }`;
  }

  /** The id of the key new payloads are encrypted with. */
  get activeKeyId(): string {
    return (this.#keys[0] as CodecKey).id;
  }

  encode(payloads: Payload[]): Promise<Payload[]> {
    const { id, key } = this.#keys[0] as CodecKey;
    return settle(() =>
      payloads.map((payload) => {
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', key, iv);
        cipher.setAAD(Buffer.from(id, 'utf8'));
        const plain = ProtoPayload.encode(payload).finish();
        const sealed = Buffer.concat([
          iv,
          cipher.update(plain),
          cipher.final(),
          cipher.getAuthTag(),
        ]);
        return {
          metadata: { encoding: bytes(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: bytes(id) },
          data: sealed,
        };
      }),
    );
  }

  decode(payloads: Payload[]): Promise<Payload[]> {
    return settle(() =>
      payloads.map((payload) => {
        const encoding = payload.metadata?.['encoding'];
        if (!encoding || text(encoding) !== ENCRYPTED_ENCODING) return payload;
        const idBytes = payload.metadata?.[KEY_ID_METADATA];
        const id = idBytes ? text(idBytes) : '';
        const key = this.#byId.get(id);
        if (!key) {
          throw new Error(
            `payload encrypted with key "${id}", which PAYLOAD_CODEC_KEYS does not list: add it back (after the active key) to read it`,
          );
        }
        return open(payload, id, key) ?? payload;
      }),
    );
  }
}

/**
 * The payload sealed in `payload` under `key`, or undefined when it does not open: too short,
 * tampered with, sealed under another key that has the same id, or not a payload inside. No
 * retry can change that, so it is no error to retry on: the sealed payload goes on as it is, and
 * the workers' payload converter turns its unknown encoding into an undecodable value that the
 * message guard refuses (a forged signal is counted, an Update refused) — one bad message never
 * stops a workflow's tasks. A key id that is not listed is an error (see `decode`): adding the
 * key back fixes it.
 */
function open(payload: Payload, id: string, key: Buffer): Payload | undefined {
  const data = Buffer.from(payload.data ?? new Uint8Array());
  if (data.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id, 'utf8'));
    decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
    const plain = Buffer.concat([
      decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]);
    return ProtoPayload.decode(plain);
  } catch {
    return undefined;
  }
}

/** `work()`'s result as a promise; what it throws as a rejection (the codec's contract). */
function settle<T>(work: () => T): Promise<T> {
  return new Promise((resolve) => resolve(work()));
}

export type PayloadCodecResult =
  | { readonly ok: true; readonly codec: AesGcmPayloadCodec | undefined }
  | { readonly ok: false; readonly issues: readonly string[] };

const KEY_ENTRY = /^([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9+/=_-]+)$/;

/**
 * The payload codec from `PAYLOAD_CODEC_KEYS` (`<id>:<base64 of 32 bytes>`, comma- or
 * newline-separated, the first one encrypting) or `PAYLOAD_CODEC_KEYS_FILE` (a file of the same;
 * a mounted secret). Neither set: no codec, payloads in clear. Keys are never in code: make one
 * with `openssl rand -base64 32`.
 */
export function payloadCodecFromEnv(
  env: Readonly<Record<string, string | undefined>>,
): PayloadCodecResult {
  const inline = env['PAYLOAD_CODEC_KEYS'];
  const file = env['PAYLOAD_CODEC_KEYS_FILE'];
  if (inline && file) {
    return {
      ok: false,
      issues: ['PAYLOAD_CODEC_KEYS and PAYLOAD_CODEC_KEYS_FILE: set one, not both'],
    };
  }
  const variable = file ? 'PAYLOAD_CODEC_KEYS_FILE' : 'PAYLOAD_CODEC_KEYS';
  let source = inline;
  if (file) {
    try {
      source = readFileSync(file, 'utf8');
    } catch (error) {
      const code = (error as { code?: string }).code ?? 'unreadable';
      return { ok: false, issues: [`PAYLOAD_CODEC_KEYS_FILE: cannot read ${file} (${code})`] };
    }
  }
  if (source === undefined || source.trim() === '') return { ok: true, codec: undefined };
  const issues: string[] = [];
  const keys: CodecKey[] = [];
  for (const entry of source.split(/[,\n]/).map((e) => e.trim())) {
    if (entry === '' || entry.startsWith('#')) continue;
    const match = KEY_ENTRY.exec(entry);
    const key = match?.[2] ? Buffer.from(match[2], 'base64') : undefined;
    if (!match?.[1] || !key || key.length !== 32) {
      issues.push(
        `${variable}: each key is <id>:<base64 of 32 random bytes> (id: letters, digits, "_", "." or "-"); one is not`,
      );
      continue;
    }
    if (keys.some((k) => k.id === match[1])) issues.push(`${variable}: key id ${match[1]} twice`);
    keys.push({ id: match[1], key });
  }
  if (issues.length > 0) return { ok: false, issues };
  return { ok: true, codec: keys.length > 0 ? new AesGcmPayloadCodec(keys) : undefined };
}
