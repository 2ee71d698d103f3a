import type { Payload, PayloadCodec } from '@temporalio/common';
import cors from 'cors';
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { unprocessable } from '../http/http-error';
import { defineRoute, type RouteSpec } from '../http/route';

/** Base64 as the codec protocol carries bytes (standard alphabet, padded or not). */
const base64 = z
  .string()
  .max(8 * 1024 * 1024)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');

const payloadSchema = z.strictObject({
  metadata: z.record(z.string().min(1).max(256), base64).optional(),
  data: base64.optional(),
});

/** The Temporal codec server protocol: `{ "payloads": [{ metadata, data }] }`, both ways. */
export const codecBodySchema = z.strictObject({
  payloads: z.array(payloadSchema).max(1_000),
});
type CodecBody = z.infer<typeof codecBodySchema>;

const toPayload = (p: CodecBody['payloads'][number]): Payload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
  ),
  data: Buffer.from(p.data ?? '', 'base64'),
});

const fromPayload = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

/**
 * The codec server the Temporal Web UI and CLI call to show payloads decrypted
 * (`<endpoint>/encode`, `<endpoint>/decode`, with the endpoint `<api>/v1/codec`): admins only,
 * as it returns customer data in clear. Without PAYLOAD_CODEC_KEYS it returns payloads as they
 * are (nothing is encrypted then).
 */
export function codecRoutes(codec: PayloadCodec | undefined): RouteSpec[] {
  const route = (direction: 'encode' | 'decode') =>
    defineRoute({
      method: 'post',
      path: `/v1/codec/${direction}`,
      operationId: `${direction}Payloads`,
      summary: `${direction === 'decode' ? 'Decrypt' : 'Encrypt'} Temporal payloads (codec server)`,
      description:
        "Temporal's remote codec protocol, for the Web UI (Settings → Codec Server: `<api>/v1/codec`) and the CLI (`--codec-endpoint`, `--codec-auth 'Bearer <admin key>'`). `X-Namespace` is accepted and ignored: one set of keys serves every namespace.",
      tag: 'codec',
      access: { admin: true },
      body: codecBodySchema,
      responses: {
        200: { description: 'The payloads, transformed', schema: codecBodySchema },
        422: {
          description:
            'A payload sealed under a key that is not listed (an altered one comes back still sealed)',
        },
      },
      handle: async ({ body }) => {
        const payloads = body.payloads.map(toPayload);
        // A payload it cannot decrypt (a key no longer listed, altered bytes) is the caller's
        // input: 422 with the reason, which names a key id at most, never payload content.
        const out = codec
          ? await codec[direction](payloads).catch((error: unknown) => {
              throw unprocessable(error instanceof Error ? error.message : String(error));
            })
          : payloads;
        return { status: 200, body: { payloads: out.map(fromPayload) } };
      },
    });
  return [route('encode'), route('decode')];
}

/**
 * CORS for the codec endpoints: the Web UI calls them from its own origin (CODEC_CORS_ORIGINS),
 * with the `Authorization` and `X-Namespace` headers; a preflight is answered before
 * authentication, as browsers send it without credentials. Other origins get no CORS headers.
 */
export function codecCors(origins: readonly string[]): RequestHandler {
  return cors({
    origin: [...origins],
    methods: ['POST'],
    allowedHeaders: ['authorization', 'content-type', 'x-namespace'],
    credentials: true,
    maxAge: 600,
  });
}
