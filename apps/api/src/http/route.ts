import { trace } from '@opentelemetry/api';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import type { ZodOpenApiOperationObject, ZodOpenApiPathsObject } from 'zod-openapi';
import { problemSchema } from '../schemas/common';
import { badRequest, HttpError, type FieldError } from './http-error';
import {
  authorize,
  principalOf,
  tenantScope,
  type Access,
  type Principal,
  type TenantScope,
} from './principal';

type AnyObject = z.ZodObject;

/** What a handler answers; errors are thrown instead (see http/to-problem.ts). */
export interface Reply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface RouteContext<P, Q, B, H> {
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  readonly headers: H;
  /** Who is calling (see http/principal.ts). */
  readonly principal: Principal;
  /** The caller's tenant: ids in, ids out. Throws on an admin route (admins have no tenant). */
  readonly tenant: TenantScope;
  readonly req: Request;
  readonly res: Response;
}

/**
 * One operation of the API: its zod schemas validate the request *and* are its OpenAPI
 * description, so the document at `/openapi.json` cannot drift from what the server accepts.
 */
export interface RouteSpec<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
  H extends AnyObject = AnyObject,
> {
  readonly method: 'get' | 'post';
  /** An OpenAPI path template, e.g. `/v1/customers/{customerId}`. */
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  /** Who may call it: checked after the path is parsed, before the body is. */
  readonly access: Access;
  readonly params?: P;
  readonly query?: Q;
  readonly body?: B;
  readonly headers?: H;
  /** Success responses and the errors specific to this operation (the common ones are added). */
  readonly responses: Readonly<
    Record<number, { readonly description: string; readonly schema?: z.ZodType }>
  >;
  readonly handle: (
    ctx: RouteContext<z.output<P>, z.output<Q>, z.output<B>, z.output<H>>,
  ) => Promise<Reply>;
}

/** Declares a route with its types inferred from its schemas. */
export function defineRoute<
  P extends AnyObject = AnyObject,
  Q extends AnyObject = AnyObject,
  B extends z.ZodType = z.ZodType,
  H extends AnyObject = AnyObject,
>(spec: RouteSpec<P, Q, B, H>): RouteSpec {
  return spec;
}

/** One write as the audit log records it (see app.ts). */
export interface WriteRecord {
  readonly tenantId: string;
  readonly principal: Principal;
  readonly operationId: string;
  readonly resource: string;
  readonly requestId: string;
  readonly status: number;
  /** The route's path template, e.g. `/v1/subscriptions/{subscriptionId}/pause`. */
  readonly route: string;
  /** Its path parameters as parsed (the tenant's own ids). */
  readonly params: Readonly<Record<string, unknown>>;
}

/** What an audit event is about: `<kind>:<the tenant's own id>`, e.g. `subscription:sub_1`. */
export const auditSubject = (kind: 'subscription', localId: string): string => `${kind}:${localId}`;

/**
 * The subject of a write, for its history (`listAuditBySubject`): every route under
 * `/v1/subscriptions/{subscriptionId}` is about that subscription. Null for any other write;
 * a create is not (its id is made inside the handler, and a timeline starts at the first charge).
 */
export function writeSubject(write: Pick<WriteRecord, 'route' | 'params'>): string | null {
  const id = write.params['subscriptionId'];
  return /^\/v1\/subscriptions\/\{subscriptionId\}(\/|$)/.test(write.route) &&
    typeof id === 'string'
    ? auditSubject('subscription', id)
    : null;
}

export interface MountOptions {
  /** Called once each write (POST) to a tenant has been answered, whatever the answer. */
  readonly onWrite?: (write: WriteRecord) => void;
}

/**
 * Names the request's span by its route template (`POST /v1/customers/{customerId}/purchases`,
 * never the raw URL) and tags it with the operation and the request id (X-Request-Id), so a
 * request id finds its trace. Nothing when the request is not traced.
 */
function nameRequestSpan(route: RouteSpec, requestId: unknown): void {
  const span = trace.getActiveSpan();
  if (!span?.isRecording()) return;
  span.updateName(`${route.method.toUpperCase()} ${route.path}`);
  span.setAttributes({
    'http.route': route.path,
    'invincible.operation_id': route.operationId,
    'invincible.request_id': typeof requestId === 'string' ? requestId : String(requestId),
  });
}

/**
 * Registers `routes` on `router`: the path is validated, the caller authorized, then query,
 * headers and body are validated, then the handler runs.
 */
export function mountRoutes(
  router: Router,
  routes: readonly RouteSpec[],
  options: MountOptions = {},
): void {
  for (const route of routes) {
    const expressPath = route.path.replace(/\{(\w+)\}/g, ':$1');
    router[route.method](expressPath, async (req, res) => {
      nameRequestSpan(route, req.id);
      // No body at all reads as `{}` (POST …/cancel alone means its defaults), with or without
      // `Content-Type: application/json` (clients set it on every POST); any other body must be JSON.
      const contentType = req.get('content-type');
      const noBody =
        (contentType === undefined || /^application\/json\s*(;|$)/i.test(contentType)) &&
        req.get('transfer-encoding') === undefined &&
        Number(req.get('content-length') ?? 0) === 0;
      if (route.body && !noBody && !req.is('application/json')) {
        throw new HttpError(415, 'Unsupported Media Type', 'The body must be application/json');
      }
      const headers = route.headers
        ? Object.fromEntries(Object.keys(route.headers.shape).map((name) => [name, req.get(name)]))
        : {};
      const principal = principalOf(res);
      const params = parse(route.params, req.params, 'path') as Record<string, unknown>;
      // Registered before authorization, so a refused write is in the log too.
      const auditTenant =
        principal.kind !== 'admin'
          ? principal.tenant.id
          : typeof params?.['tenantId'] === 'string'
            ? params['tenantId']
            : null;
      if (route.method === 'post' && options.onWrite) {
        const onWrite = options.onWrite;
        res.once('finish', () => {
          // An admin write names its tenant by path, or its handler sets it (a key's tenant).
          const tenantId = auditTenant ?? (res.locals['auditTenant'] as string | undefined);
          if (!tenantId) return;
          onWrite({
            tenantId,
            principal,
            operationId: route.operationId,
            resource: req.originalUrl.split('?')[0] ?? req.path,
            requestId: typeof req.id === 'string' ? req.id : JSON.stringify(req.id),
            status: res.statusCode,
            route: route.path,
            params: params ?? {},
          });
        });
      }
      authorize(principal, route.access, params ?? {});
      const scope = tenantScope(principal);
      const ctx: RouteContext<never, never, never, never> = {
        params: params as never,
        query: parse(route.query, { ...req.query }, 'query') as never,
        headers: parse(route.headers, headers, 'header') as never,
        body: parse(route.body, noBody ? {} : req.body, 'body') as never,
        principal,
        get tenant(): TenantScope {
          if (!scope) throw new Error(`${route.operationId} is an admin route: it has no tenant`);
          return scope;
        },
        req,
        res,
      };
      const reply = await route.handle(ctx);
      for (const [name, value] of Object.entries(reply.headers ?? {})) res.setHeader(name, value);
      res.status(reply.status).json(reply.body);
    });
  }
}

function parse(schema: z.ZodType | undefined, value: unknown, where: FieldError['in']): unknown {
  if (!schema) return undefined;
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const errors: FieldError[] = result.error.issues.map((issue) => ({
    in: where,
    field: issue.path.length > 0 ? issue.path.join('.') : '(root)',
    message: issue.message,
  }));
  throw badRequest(
    `The request ${where === 'header' ? 'headers are' : `${where} is`} not valid`,
    errors,
  );
}

/** Who may call an operation, in words, for its OpenAPI description. */
function accessNote(access: Access): string {
  if ('admin' in access) return '**Access:** admin keys only.';
  return `**Access:** keys granting \`${access.permission}\`${
    access.customer ? '; also a customer token, for its own customer' : ''
  }.`;
}

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** The OpenAPI paths of `routes`, with the errors every authenticated operation can answer. */
export function openApiPaths(routes: readonly RouteSpec[]): ZodOpenApiPathsObject {
  const paths: ZodOpenApiPathsObject = {};
  for (const route of routes) {
    const responses: ZodOpenApiOperationObject['responses'] = {};
    for (const [status, response] of Object.entries(route.responses)) {
      responses[status as '200'] = status.startsWith('2')
        ? {
            description: response.description,
            ...(response.schema
              ? { content: { 'application/json': { schema: response.schema } } }
              : {}),
          }
        : problem(response.description);
    }
    responses['400'] ??= problem('The request is not valid: `errors` lists each field');
    if (route.body) {
      responses['413'] = problem('The body is larger than the limit (64 kB by default)');
      responses['415'] = problem('The body is not application/json');
    }
    responses['401'] = problem('No API key, or an unknown one');
    if (route.params) responses['404'] ??= problem('Not found (or not yours: the same answer)');
    responses['403'] = problem(
      'admin' in route.access
        ? 'Not an admin key'
        : `The key does not grant \`${route.access.permission}\``,
    );
    responses['429'] = problem(
      'Too many requests for this API key, or too many failed authentications from this address; see Retry-After',
    );
    responses['500'] = problem('An unexpected error (details are in the server log only)');
    responses['503'] = problem('Temporal or the database is unavailable; see Retry-After');
    const operation: ZodOpenApiOperationObject = {
      operationId: route.operationId,
      summary: route.summary,
      description: [route.description, accessNote(route.access)].filter(Boolean).join('\n\n'),
      tags: [route.tag],
      security: [{ bearerAuth: [] }],
      requestParams: {
        ...(route.params ? { path: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.headers ? { header: route.headers } : {}),
      },
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: route.body } },
            },
          }
        : {}),
      responses,
    };
    paths[route.path] = { ...paths[route.path], [route.method]: operation };
  }
  return paths;
}
