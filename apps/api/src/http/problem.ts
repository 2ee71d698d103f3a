import type { ErrorRequestHandler, RequestHandler, Response } from 'express';

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

/** 404 for every route nobody answered. */
export const notFoundHandler: RequestHandler = (req, res) => {
  sendProblem(res, {
    title: 'Not Found',
    status: 404,
    detail: `No route for ${req.method} ${req.path}`,
  });
};

/**
 * The one error handler: body-parser errors keep their 4xx status, everything else is a 500
 * whose details go to the log only — never a stack trace or internal message in a response.
 */
export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, next) => {
  if (res.headersSent) {
    next(error);
    return;
  }
  const status = httpStatusOf(error);
  if (status !== undefined && status >= 400 && status < 500) {
    sendProblem(res, { title: 'Bad Request', status, detail: clientMessage(error) });
    return;
  }
  req.log.error({ err: error }, 'unhandled error');
  sendProblem(res, { title: 'Internal Server Error', status: 500 });
};

function httpStatusOf(error: unknown): number | undefined {
  if (
    typeof error === 'object' &&
    error !== null &&
    'status' in error &&
    typeof error.status === 'number'
  ) {
    return error.status;
  }
  return undefined;
}

/** body-parser's messages are written for clients (`request entity too large`, JSON syntax). */
function clientMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'type' in error) {
    if (error.type === 'entity.too.large') return 'The request body is too large';
    if (error.type === 'entity.parse.failed') return 'The request body is not valid JSON';
  }
  return 'The request could not be processed';
}
