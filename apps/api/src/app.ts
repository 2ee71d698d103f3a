import { randomUUID } from 'node:crypto';
import type { RateLimitsPort, Repository } from '@invincible/astra-repo';
import type { Client } from '@temporalio/client';
import express, { Router, type Express, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { customersRoutes } from './customers/customers-routes';
import { healthRouter } from './health/health-router';
import type { ReadinessCheck } from './health/readiness';
import { apiKeyAuth, type ApiKey } from './http/auth';
import { failedAuthLimit } from './http/failed-auth-limit';
import {
  createMetrics,
  httpMetrics,
  reconciliationGauges,
  workflowTracker,
  type ApiMetrics,
} from './http/metrics';
import { errorHandler, notFoundHandler } from './http/problem';
import { rejectOperatorKeys } from './http/reject-operator-keys';
import { slidingWindowLimit } from './http/rate-limit';
import { mountRoutes, type RouteSpec } from './http/route';
import { loyaltyRoutes } from './loyalty/loyalty-routes';
import { openApiDocument } from './openapi/openapi-document';
import { reconciliationRoutes } from './reconciliation/reconciliation-routes';
import { subscriptionsRoutes, type SubscriptionLimits } from './subscriptions/subscriptions-routes';

export interface AppDeps {
  readonly logger: Logger;
  readonly temporal: Client;
  readonly repository: Repository;
  /** Who may call `/v1` and `/metrics`. */
  readonly apiKeys: readonly ApiKey[];
  /** Named dependency checks for `/readyz`, e.g. `{ temporal, database }`. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly readinessTimeoutMs?: number;
  /** True once shutdown has begun: `/readyz` answers 503 at once while requests drain. */
  readonly draining?: () => boolean;
  /** Requests per minute per API key (default 600), a sliding window over `rateLimits`. */
  readonly rateLimitPerMinute?: number;
  /**
   * The rate-limit counters: shared by every replica when they are the repository's (the
   * default: Cassandra or Astra in production).
   */
  readonly rateLimits?: RateLimitsPort;
  /** How long a request waits for the rate-limit store before it is served unlimited (250 ms). */
  readonly rateLimitStoreTimeoutMs?: number;
  /** Failed authentications (401) per minute per client address before 429s (default 60). */
  readonly unauthenticatedLimitPerMinute?: number;
  /** Bounds on subscriptions (default: no unit below `second`, startAt within 24 h back, 1 y ahead). */
  readonly limits?: SubscriptionLimits;
  /**
   * Whether this request may use billing units below `limits.minBillingInterval` (default: never).
   * Tenancy plugs "a test tenant" in here.
   */
  readonly allowShortIntervals?: (res: Response) => boolean;
  /** How long a read waits for a workflow's answer before falling back (default 5 s). */
  readonly queryTimeoutMs?: number;
  /** How long a request waits for a Workflow Update's outcome before a 503 (default 10 s). */
  readonly updateTimeoutMs?: number;
  readonly bodyLimit?: string;
  readonly metrics?: ApiMetrics;
  readonly now?: () => Date;
  readonly version?: string;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

const DEFAULT_LIMITS: SubscriptionLimits = {
  minBillingInterval: 'second',
  startAtMaxBackdateMs: 86_400_000,
  startAtMaxAheadMs: 365 * 86_400_000,
};

/** Every operation under `/v1`, for the router and the OpenAPI document alike. */
export function apiRoutes(deps: AppDeps, metrics: ApiMetrics): RouteSpec[] {
  const shared = {
    temporal: deps.temporal,
    repository: deps.repository,
    track: workflowTracker(metrics),
    now: deps.now ?? (() => new Date()),
    queryTimeoutMs: deps.queryTimeoutMs ?? 5_000,
    updateTimeoutMs: deps.updateTimeoutMs ?? 10_000,
  };
  return [
    ...customersRoutes(shared),
    ...subscriptionsRoutes({
      ...shared,
      limits: deps.limits ?? DEFAULT_LIMITS,
      allowShortIntervals: deps.allowShortIntervals ?? (() => false),
    }),
    ...loyaltyRoutes(shared),
    ...reconciliationRoutes(shared),
  ];
}

/** Builds the Express app; it neither listens nor reads the environment (see main.ts). */
export function createApp(deps: AppDeps): Express {
  const metrics = deps.metrics ?? createMetrics();
  reconciliationGauges(metrics, deps.repository.reconciliation);
  const routes = apiRoutes(deps, metrics);
  const document = openApiDocument(routes, deps.version ?? '1.0.0');

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  // No upgrade-insecure-requests: /docs must load its own assets over plain HTTP on a laptop.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Honour a caller's well-formed request id so a request can be followed across services.
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      customProps: (_req, res) => {
        const workflowId: unknown = res.locals?.['workflowId'];
        return typeof workflowId === 'string' ? { workflowId } : {};
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
      // A request's credentials never reach a log line, valid or not.
      serializers: { req: redactCredentials },
    }),
  );
  app.use(httpMetrics(metrics));
  app.use(healthRouter(deps.readiness, deps.readinessTimeoutMs ?? 2_000, deps.draining));
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
  app.use(
    '/docs',
    swaggerUi.serve,
    swaggerUi.setup(document, { customSiteTitle: 'Invincible API' }),
  );

  // Everything below needs an API key: authenticate before reading a body or counting a request.
  // An address that keeps failing authentication is refused before its key is even looked at.
  const now = () => (deps.now ?? (() => new Date()))().getTime();
  const authenticated = Router();
  authenticated.use(
    failedAuthLimit({ limit: deps.unauthenticatedLimitPerMinute ?? 60, windowMs: 60_000, now }),
  );
  authenticated.use(apiKeyAuth(deps.apiKeys));
  authenticated.use(
    slidingWindowLimit({
      store: deps.rateLimits ?? deps.repository.rateLimits,
      limit: deps.rateLimitPerMinute ?? 600,
      windowMs: 60_000,
      policy: 'per-key',
      keyOf: (_req, res) => String(res.locals['principal']),
      now,
      storeTimeoutMs: deps.rateLimitStoreTimeoutMs ?? 250,
      onStoreFailure: (error, req) => {
        metrics.rateLimitStoreFailures.inc();
        req.log.warn({ err: error }, 'rate limit store unavailable: request served unlimited');
      },
      detail: 'Too many requests for this API key; retry after the time in Retry-After',
    }),
  );
  authenticated.use(express.json({ limit: deps.bodyLimit ?? '64kb', strict: true }));
  authenticated.use(rejectOperatorKeys);
  authenticated.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  mountRoutes(authenticated, routes);
  app.use((req, res, next) => {
    if (req.path === '/metrics' || req.path === '/v1' || req.path.startsWith('/v1/'))
      authenticated(req, res, next);
    else next();
  });
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/** Headers that carry a secret: their values are replaced, their presence kept. */
const SECRET_HEADERS = ['authorization', 'cookie', 'proxy-authorization', 'x-api-key'];

/** pino-http's serialized request, with every secret header's value replaced. */
function redactCredentials(req: { headers?: Record<string, unknown> }): unknown {
  if (!req.headers) return req;
  const headers = { ...req.headers };
  for (const name of SECRET_HEADERS) if (name in headers) headers[name] = '[redacted]';
  return { ...req, headers };
}
