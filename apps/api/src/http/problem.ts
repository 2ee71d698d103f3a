import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { TENANT_SEPARATOR } from '@invincible/astra-repo';
import { toHttpError } from './to-problem';

/** An RFC 9457 problem document. */
export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly [extension: string]: unknown;
}

/** Sends `problem` as `application/problem+json`. */
export function sendProblem(res: Response, problem: Problem): void {
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({ type: 'about:blank', ...problem });
}

/**
 * A message about stored ids (a workflow's refusal names `<tenant>~<id>`), as the caller's tenant
 * sees it: its own ids, without the prefix.
 */
function withoutTenant(detail: string, res: Response): string {
  const principal = res.locals['principal'] as { tenant?: { id: string } } | undefined;
  const tenantId = principal?.tenant?.id;
  return tenantId ? detail.replaceAll(`${tenantId}${TENANT_SEPARATOR}`, '') : detail;
}

/** 404 for every route nobody answered. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    title: 'Not Found',
    status: 404,
    detail: `No route for ${req.method} ${req.path}`,
  });
};

/**
 * The one error handler: typed errors (ours, the repository's, Temporal's, body-parser's) map
 * onto their problem; everything else is a 500 whose details go to the log only — never a stack
 * trace or internal message in a response.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const known = toHttpError(error);
  if (known) {
    if (known.status >= 500) req.log.warn({ err: error }, known.detail);
    for (const [name, value] of Object.entries(known.headers)) res.setHeader(name, value);
    sendProblem(res, {
      title: known.title,
      status: known.status,
      detail: withoutTenant(known.detail, res),
      ...known.extensions,
    });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(res, { title: 'Internal Server Error', status: 500 });
};
