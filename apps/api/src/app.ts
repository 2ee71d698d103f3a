import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RateLimitsPort, Repository } from '@invincible/astra-repo';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import express, { Router, type Express, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import swaggerUi from 'swagger-ui-express';
import { customersRoutes } from './customers/customers-routes';
import { healthRouter } from './health/health-router';
import type { ReadinessCheck } from './health/readiness';
import { accessRoutes } from './access/access-routes';
import { authenticate, principalKey, type ApiKey, type DevTenant } from './http/auth';
import { customerTokens, type CustomerTokens } from './http/customer-tokens';
import type { Principal } from './http/principal';
import { signedCursors, type Cursors } from './http/cursors';
import { failedAuthLimit } from './http/failed-auth-limit';
import {
  createMetrics,
  httpMetrics,
  reconciliationGauges,
  workflowTracker,
  type ApiMetrics,
} from './http/metrics';
import { errorHandler, notFoundHandler, sendProblem } from './http/problem';
import { rejectOperatorKeys } from './http/reject-operator-keys';
import { slidingWindowLimit } from './http/rate-limit';
import { mountRoutes, writeSubject, type RouteSpec, type WriteRecord } from './http/route';
import { loyaltyRoutes } from './loyalty/loyalty-routes';
import { openApiDocument } from './openapi/openapi-document';
import { overviewRoutes } from './overview/overview-routes';
import { reconciliationRoutes } from './reconciliation/reconciliation-routes';
import { codecCors, codecRoutes } from './codec/codec-routes';
import { subscriptionsRoutes, type SubscriptionLimits } from './subscriptions/subscriptions-routes';
import { consoleRouter, type ConsoleOptions } from './console/console-router';

export interface AppDeps {
  readonly logger: Logger;
  readonly temporal: Client;
  readonly repository: Repository;
  /** API_KEYS: full keys of the development tenant (`devTenant`). Stored keys need no setting. */
  readonly apiKeys: readonly ApiKey[];
  /** ADMIN_API_KEYS: platform admin keys from the environment. */
  readonly adminKeys?: readonly ApiKey[];
  /** The tenant of `apiKeys` (default `dev`, a test tenant). */
  readonly devTenant?: DevTenant;
  /**
   * SIGNING_SECRET: signs customer tokens and paging cursors (keys derived for each), the same
   * on every replica. Without it, a random one of this app (tokens and cursors of this process).
   */
  readonly signingSecret?: string;
  /**
   * Who may read `/metrics` on this port: `open` (development), a bearer token, or `off` (it is
   * served on METRICS_PORT instead, or not at all).
   */
  readonly metricsAccess?: 'open' | 'off' | { readonly token: string };
  /** Serve `/docs` and `/openapi.json` (default true). */
  readonly publicDocs?: boolean;
  /** How long a looked-up key is trusted before it is read again (default 30 s). */
  readonly keyCacheTtlMs?: number;
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
  /** Encrypts Temporal payloads (PAYLOAD_CODEC_KEYS); also what `/v1/codec/*` decodes with. */
  readonly payloadCodec?: PayloadCodec;
  /** Origins (the Temporal Web UI's) allowed to call `/v1/codec/*` from a browser. */
  readonly codecCorsOrigins?: readonly string[];
  /** The operator console's static files under /console (CONSOLE_DIR); absent: not served. */
  readonly console?: ConsoleOptions;
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
export function apiRoutes(
  deps: AppDeps,
  metrics: ApiMetrics,
  signed: { readonly tokens: CustomerTokens; readonly cursors: Cursors },
): RouteSpec[] {
  const { tokens, cursors } = signed;
  const shared = {
    cursors,
    temporal: deps.temporal,
    repository: deps.repository,
    track: workflowTracker(metrics),
    now: deps.now ?? (() => new Date()),
    queryTimeoutMs: deps.queryTimeoutMs ?? 5_000,
    updateTimeoutMs: deps.updateTimeoutMs ?? 10_000,
    logger: deps.logger,
  };
  const business = [
    ...customersRoutes(shared),
    ...subscriptionsRoutes({
      ...shared,
      limits: deps.limits ?? DEFAULT_LIMITS,
      // A test tenant may bill by the second or minute (see MIN_BILLING_INTERVAL).
      allowShortIntervals: deps.allowShortIntervals ?? testTenant,
    }),
    ...loyaltyRoutes(shared),
    ...overviewRoutes(shared),
    ...reconciliationRoutes(shared),
  ];
  const customerOperations = business
    .filter((r) => 'permission' in r.access && r.access.customer)
    .map((r) => r.operationId);
  return [
    ...business,
    ...accessRoutes({ ...shared, tokens, customerOperations }),
    ...codecRoutes(deps.payloadCodec),
  ];
}

/** Whether the request acts for a test tenant (whose subscriptions may be short-lived). */
function testTenant(res: Response): boolean {
  const principal = res.locals['principal'] as Principal | undefined;
  return principal !== undefined && principal.kind !== 'admin' && principal.tenant.test;
}

/** Builds the Express app; it neither listens nor reads the environment (see main.ts). */
export function createApp(deps: AppDeps): Express {
  const metrics = deps.metrics ?? createMetrics();
  reconciliationGauges(metrics, deps.repository.reconciliation);
  const now = deps.now ?? (() => new Date());
  const signingSecret = deps.signingSecret ?? randomBytes(32).toString('hex');
  // One secret, a key derived for each use: the tokens the API mints and checks, its cursors.
  const tokens = customerTokens(signingSecret, now);
  const routes = apiRoutes(deps, metrics, { tokens, cursors: signedCursors(signingSecret) });
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
  if (deps.publicDocs ?? true) {
    app.get('/openapi.json', (_req, res) => {
      res.json(document);
    });
    app.use(
      '/docs',
      swaggerUi.serve,
      swaggerUi.setup(document, { customSiteTitle: 'Invincible API' }),
    );
  }
  if (deps.console) app.use(consoleRouter(deps.console));
  const metricsAccess = deps.metricsAccess ?? 'open';
  if (metricsAccess !== 'off') {
    app.get('/metrics', metricsAuth(metricsAccess), metricsHandler(metrics));
  }

  // Everything below needs an API key: authenticate before reading a body or counting a request.
  // An address that keeps failing authentication is refused before its key is even looked at.
  const authenticated = Router();
  authenticated.use(
    failedAuthLimit({
      limit: deps.unauthenticatedLimitPerMinute ?? 60,
      windowMs: 60_000,
      now: () => now().getTime(),
    }),
  );
  authenticated.use(
    authenticate({
      access: deps.repository.access,
      apiKeys: deps.apiKeys,
      adminKeys: deps.adminKeys ?? [],
      devTenant: deps.devTenant ?? { id: 'dev', test: true },
      tokens,
      now,
      ...(deps.keyCacheTtlMs !== undefined ? { cacheTtlMs: deps.keyCacheTtlMs } : {}),
    }),
  );
  authenticated.use(
    slidingWindowLimit({
      store: deps.rateLimits ?? deps.repository.rateLimits,
      limit: deps.rateLimitPerMinute ?? 600,
      windowMs: 60_000,
      policy: 'per-key',
      keyOf: (_req, res) => principalKey(res),
      now: () => now().getTime(),
      storeTimeoutMs: deps.rateLimitStoreTimeoutMs ?? 250,
      onStoreFailure: (error, req) => {
        metrics.rateLimitStoreFailures.inc();
        req.log.warn({ err: error }, 'rate limit store unavailable: request served unlimited');
      },
      detail: 'Too many requests for this API key; retry after the time in Retry-After',
    }),
  );
  // Payloads reach 2 MB each in Temporal: the codec endpoints read more than the API's 64 kB.
  authenticated.use('/v1/codec', express.json({ limit: '8mb', strict: true }));
  authenticated.use(express.json({ limit: deps.bodyLimit ?? '64kb', strict: true }));
  authenticated.use(rejectOperatorKeys);
  mountRoutes(authenticated, routes, { onWrite: auditWriter(deps, metrics) });
  // Before authentication: a browser's preflight carries no credentials.
  if (deps.codecCorsOrigins?.length) app.use('/v1/codec', codecCors(deps.codecCorsOrigins));
  app.use((req, res, next) => {
    if (req.path === '/v1' || req.path.startsWith('/v1/')) authenticated(req, res, next);
    else next();
  });
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}

/** `/metrics` for Prometheus: its own token, never a business key (a scraper holds no tenant's key). */
function metricsAuth(access: 'open' | { readonly token: string }): RequestHandler {
  if (access === 'open') return (_req, _res, next) => next();
  const expected = createHash('sha256').update(access.token).digest();
  return (req, res, next) => {
    const presented = /^Bearer +([\x21-\x7e]{1,512}) *$/i.exec(req.get('authorization') ?? '')?.[1];
    const digest = createHash('sha256')
      .update(presented ?? '')
      .digest();
    if (presented && timingSafeEqual(digest, expected)) {
      next();
      return;
    }
    res.setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
    sendProblem(res, {
      title: 'Unauthorized',
      status: 401,
      detail: 'The metrics token is required',
    });
  };
}

/** The Prometheus exposition of `metrics`. */
export function metricsHandler(metrics: ApiMetrics): RequestHandler {
  return (_req, res, next) => {
    metrics.registry.metrics().then((text) => {
      res.type(metrics.registry.contentType).send(text);
    }, next);
  };
}

/**
 * Records each write to a tenant in its audit log, after it is answered. The log is written
 * beside the request, not inside it: a failed audit write is logged and counted, and the write
 * itself (already answered) stands.
 */
function auditWriter(deps: AppDeps, metrics: ApiMetrics): (write: WriteRecord) => void {
  const now = deps.now ?? (() => new Date());
  return (write) => {
    deps.repository.access
      .recordAudit({
        tenantId: write.tenantId,
        id: `${write.requestId}:${write.operationId}`,
        at: now(),
        actor: write.principal.actor,
        action: write.operationId,
        resource: write.resource.slice(0, 500),
        requestId: write.requestId,
        status: write.status,
        ...subjectOf(write),
      })
      .catch((error: unknown) => {
        metrics.auditFailures.inc();
        deps.logger.error(
          { err: error, write: { ...write, principal: write.principal.actor } },
          'audit write failed',
        );
      });
  };
}

/** The subject of a write, only when it has one (an event without one is stored as before). */
function subjectOf(write: WriteRecord): { subject?: string } {
  const subject = writeSubject(write);
  return subject === null ? {} : { subject };
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
