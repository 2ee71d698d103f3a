import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { decode as text } from '@temporalio/common/lib/encoding';
import { AesGcmPayloadCodec, payloadCodecFromEnv } from './codec';

const key = (id: string) => ({ id, key: randomBytes(32) });
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const value = (p: Payload): unknown => defaultPayloadConverter.fromPayload(p);
const secret = { email: 'ada.secret@example.com', name: 'Ada Lovelace', amountMinor: 1999 };

describe('AesGcmPayloadCodec', () => {
  it('turns a payload into ciphertext naming its key, and back', async () => {
    const codec = new AesGcmPayloadCodec([key('2026-12')]);
    const [sealed] = await codec.encode([payload(secret)]);
    if (!sealed) throw new Error('no payload');
    expect(text(sealed.metadata?.['encoding'] ?? new Uint8Array())).toBe('binary/encrypted');
    expect(text(sealed.metadata?.['encryption-key-id'] ?? new Uint8Array())).toBe('2026-12');
    const raw = Buffer.from(sealed.data ?? new Uint8Array()).toString('latin1');
    for (const clear of ['ada.secret@example.com', 'Ada Lovelace', '1999', 'json/plain']) {
      expect(raw).not.toContain(clear);
    }
    const [opened] = await codec.decode([sealed]);
    expect(value(opened as Payload)).toEqual(secret);
  });

  it('encrypts the same value differently each time (a fresh IV per payload)', async () => {
    const codec = new AesGcmPayloadCodec([key('k')]);
    const [a, b] = await codec.encode([payload(secret), payload(secret)]);
    expect(Buffer.from(a?.data ?? []).equals(Buffer.from(b?.data ?? []))).toBe(false);
  });

  it('after a rotation, old payloads decode with the old key listed after the new one', async () => {
    const old = key('2026-11');
    const [sealed] = await new AesGcmPayloadCodec([old]).encode([payload(secret)]);
    const rotated = new AesGcmPayloadCodec([key('2026-12'), old]);
    expect(rotated.activeKeyId).toBe('2026-12');
    expect(value((await rotated.decode([sealed as Payload]))[0] as Payload)).toEqual(secret);
    // Without the old key: one clear error naming it.
    await expect(
      new AesGcmPayloadCodec([key('2026-12')]).decode([sealed as Payload]),
    ).rejects.toThrow(/key "2026-11", which PAYLOAD_CODEC_KEYS does not list/);
  });

  it('passes payloads written in clear (before encryption) through, so old histories replay', async () => {
    const clear = payload(secret);
    expect(await new AesGcmPayloadCodec([key('k')]).decode([clear])).toEqual([clear]);
  });

  it('leaves a payload that does not open sealed (tampered, truncated, or another key under the same id), never failing', async () => {
    const k = key('k');
    const codec = new AesGcmPayloadCodec([k, key('other')]);
    const [sealed] = await codec.encode([payload(secret)]);
    const tampered = Buffer.from(sealed?.data ?? []);
    tampered[20] = (tampered[20] ?? 0) ^ 0xff;
    const [impostor] = await new AesGcmPayloadCodec([key('k')]).encode([payload(secret)]);
    // The key id of `other` swapped in: the AAD no longer matches.
    const swapped = {
      ...sealed,
      metadata: { ...sealed?.metadata, 'encryption-key-id': Buffer.from('other') },
    };
    const bad: Payload[] = [
      { ...sealed, data: tampered },
      { ...sealed, data: Buffer.from(sealed?.data ?? []).subarray(0, 12) },
      impostor as Payload,
      swapped,
    ];
    const decoded = await codec.decode(bad);
    expect(decoded).toEqual(bad);
    for (const p of decoded)
      expect(text(p.metadata?.['encoding'] ?? new Uint8Array())).toBe('binary/encrypted');
    // The workers' payload converter then makes each an undecodable value the message guard refuses.
    expect(() => value(decoded[0] as Payload)).toThrow(/encoding/i);
  });

  it('fails on a key id it does not list: adding the key back is the fix, so the task retries', async () => {
    const [sealed] = await new AesGcmPayloadCodec([key('retired')]).encode([payload(secret)]);
    await expect(new AesGcmPayloadCodec([key('k')]).decode([sealed as Payload])).rejects.toThrow(
      /key "retired", which PAYLOAD_CODEC_KEYS does not list/,
    );
  });
});

describe('payloadCodecFromEnv', () => {
  const k = () => randomBytes(32).toString('base64');

  it('no keys: no codec (payloads in clear)', () => {
    expect(payloadCodecFromEnv({})).toEqual({ ok: true, codec: undefined });
  });

  it('reads id:key pairs, the first one encrypting, from the variable or a file', () => {
    const result = payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: `new:${k()},old:${k()}` });
    expect(result.ok && result.codec?.activeKeyId).toBe('new');
    const dir = mkdtempSync(join(tmpdir(), 'codec-'));
    writeFileSync(join(dir, 'keys'), `# rotated 2026-12-01\nnew:${k()}\nold:${k()}\n`);
    const fromFile = payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS_FILE: join(dir, 'keys') });
    expect(fromFile.ok && fromFile.codec?.activeKeyId).toBe('new');
    rmSync(dir, { recursive: true, force: true });
  });

  it('names each problem, never the key', () => {
    const short = Buffer.alloc(16).toString('base64');
    expect(payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: `a:${short}` })).toEqual({
      ok: false,
      issues: [expect.stringMatching(/^PAYLOAD_CODEC_KEYS: each key is <id>:<base64 of 32/)],
    });
    const dup = k();
    expect(payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: `a:${dup},a:${k()}` })).toMatchObject({
      ok: false,
      issues: ['PAYLOAD_CODEC_KEYS: key id a twice'],
    });
    expect(payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS_FILE: '/nonexistent/keys' })).toEqual({
      ok: false,
      issues: ['PAYLOAD_CODEC_KEYS_FILE: cannot read /nonexistent/keys (ENOENT)'],
    });
    const issues = JSON.stringify(payloadCodecFromEnv({ PAYLOAD_CODEC_KEYS: `a:${short}` }));
    expect(issues).not.toContain(short);
  });
});
