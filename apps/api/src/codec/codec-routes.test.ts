import { randomBytes } from 'node:crypto';
import { createInMemoryRepository } from '@invincible/astra-repo/testing';
import { AesGcmPayloadCodec } from '@invincible/temporal-runtime';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import request from 'supertest';
import { auth, testApp } from '../testing/unit-app';

const ADMIN = 'unit-admin-secret-0123456789';
const codec = new AesGcmPayloadCodec([{ id: 'k1', key: randomBytes(32) }]);
const app = testApp(createInMemoryRepository(), {
  adminKeys: [{ name: 'ops', secret: ADMIN }],
  payloadCodec: codec,
  codecCorsOrigins: ['http://127.0.0.1:8233'],
});
const wire = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [
      k,
      Buffer.from(v ?? new Uint8Array()).toString('base64'),
    ]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
interface WirePayloads {
  readonly payloads: { metadata: Record<string, string>; data: string }[];
}
const input = { customerEmail: 'ada.secret@example.com', price: { amountMinor: 1999 } };

describe('codec server (/v1/codec, the Temporal Web UI and CLI protocol)', () => {
  it('decodes what the apps encrypted, for an admin', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(input)]);
    const res = await request(app)
      .post('/v1/codec/decode')
      .set('authorization', `Bearer ${ADMIN}`)
      .set('x-namespace', 'default')
      .send({ payloads: [wire(sealed ?? {})] });
    expect(res.status).toBe(200);
    const [payload] = (res.body as WirePayloads).payloads;
    expect(Buffer.from(payload?.metadata['encoding'] ?? '', 'base64').toString()).toBe(
      'json/plain',
    );
    expect(JSON.parse(Buffer.from(payload?.data ?? '', 'base64').toString())).toEqual(input);
  });

  it('encodes, so that the decode of it is the input', async () => {
    const plain = wire(defaultPayloadConverter.toPayload(input));
    const encoded = await request(app)
      .post('/v1/codec/encode')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ payloads: [plain] });
    expect(encoded.status).toBe(200);
    const sealed = (encoded.body as WirePayloads).payloads[0];
    expect(Buffer.from(sealed?.metadata['encoding'] ?? '', 'base64').toString()).toBe(
      'binary/encrypted',
    );
    const decoded = await request(app)
      .post('/v1/codec/decode')
      .set('authorization', `Bearer ${ADMIN}`)
      .send(encoded.body);
    expect(decoded.body).toEqual({ payloads: [plain] });
  });

  it("is admins' only: a tenant's key and no key are refused", async () => {
    const body = { payloads: [] };
    expect((await request(app).post('/v1/codec/decode').send(body)).status).toBe(401);
    expect(
      (await request(app).post('/v1/codec/decode').set('authorization', auth).send(body)).status,
    ).toBe(403);
  });

  it('answers the Web UI origin preflight without credentials, and no other origin', async () => {
    const preflight = await request(app)
      .options('/v1/codec/decode')
      .set('origin', 'http://127.0.0.1:8233')
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'authorization,content-type,x-namespace');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('http://127.0.0.1:8233');
    expect(preflight.headers['access-control-allow-headers']).toMatch(/x-namespace/);
    const stranger = await request(app)
      .options('/v1/codec/decode')
      .set('origin', 'http://evil.example')
      .set('access-control-request-method', 'POST');
    expect(stranger.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('refuses what is not a payload list, with the field', async () => {
    const res = await request(app)
      .post('/v1/codec/decode')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ payloads: [{ data: 'not base64!' }] });
    expect(res.status).toBe(400);
  });

  it('a payload encrypted under a key no longer listed is a clear error, not a crash', async () => {
    const other = new AesGcmPayloadCodec([{ id: 'gone', key: randomBytes(32) }]);
    const [sealed] = await other.encode([defaultPayloadConverter.toPayload(input)]);
    const res = await request(app)
      .post('/v1/codec/decode')
      .set('authorization', `Bearer ${ADMIN}`)
      .send({ payloads: [wire(sealed ?? {})] });
    expect(res.status).toBe(422);
    expect((res.body as { detail: string }).detail).toMatch(
      /key "gone", which PAYLOAD_CODEC_KEYS does not list/,
    );
    expect(JSON.stringify(res.body)).not.toContain('ada.secret');
  });
});
