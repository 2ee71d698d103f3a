import { z } from 'zod';
import { createDocument } from 'zod-openapi';
import { openApiPaths, type RouteSpec } from '../http/route';
import { problemSchema } from '../schemas/common';

const healthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });
const readySchema = z
  .strictObject({
    status: z.literal('ready'),
    checks: z.record(z.string(), z.enum(['up', 'down'])),
  })
  .meta({ id: 'Readiness' });

/**
 * The OpenAPI 3.1 document of the API, generated from the very zod schemas the routes validate
 * with (see http/route.ts): there is no second description to keep in sync.
 */
export function openApiDocument(
  routes: readonly RouteSpec[],
  version: string,
): ReturnType<typeof createDocument> {
  return createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Invincible API',
      version,
      description:
        'Subscription billing and customer loyalty on Temporal. Every write is idempotent: creates by `Idempotency-Key`, purchases by `purchaseId`. Errors are `application/problem+json` (RFC 9457).',
    },
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'customers', description: 'Customers and their emails' },
      { name: 'subscriptions', description: 'Subscriptions, each a durable workflow' },
      { name: 'loyalty', description: 'Points, coupons and redemptions' },
      {
        name: 'overview',
        description: "The account's figures at a glance, computed from the stored tables",
      },
      {
        name: 'reconciliation',
        description: 'Checks of money and points against their sources of truth (operators)',
      },
      {
        name: 'codec',
        description: 'Temporal payloads decrypted for the Web UI and the CLI (admins)',
      },
      { name: 'operations', description: 'Health and readiness (no API key)' },
    ],
    paths: {
      ...openApiPaths(routes),
      '/healthz': {
        get: {
          operationId: 'health',
          summary: 'Liveness: the process answers',
          tags: ['operations'],
          security: [],
          responses: {
            '200': {
              description: 'Alive',
              content: { 'application/json': { schema: healthSchema } },
            },
          },
        },
      },
      '/readyz': {
        get: {
          operationId: 'readiness',
          summary: 'Readiness: Temporal and the database answer',
          tags: ['operations'],
          security: [],
          responses: {
            '200': {
              description: 'Ready',
              content: { 'application/json': { schema: readySchema } },
            },
            '503': {
              description: 'A dependency is down; see Retry-After',
              content: { 'application/problem+json': { schema: problemSchema } },
            },
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key from API_KEYS (npm start prints a development key)',
        },
      },
    },
  });
}
