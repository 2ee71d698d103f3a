import {
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from '@invincible/astra-repo';
import {
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  COUPON_ALREADY_REDEEMED,
  COUPON_NOT_FOUND,
  SUBSCRIPTION_STATE_CONFLICT,
} from '@invincible/workflows';
import {
  badRequest,
  conflict,
  HttpError,
  notFound,
  unavailable,
  unprocessable,
} from './http-error';

/** gRPC status codes that mean "Temporal cannot answer now", not "the request is wrong". */
const GRPC_UNAVAILABLE = new Set([
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  14, // UNAVAILABLE
]);

/**
 * Maps what handlers throw onto the HTTP problem to answer: typed errors of the repository and
 * of the Temporal client, body-parser's errors, and our own `HttpError`. Undefined means an
 * unexpected error: a 500 that only the log explains.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const bodyParser = bodyParserError(error);
  if (bodyParser) return bodyParser;

  if (error instanceof ValidationError) {
    const errors = Object.entries(error.fields).map(([field, message]) => ({
      in: 'body' as const,
      field,
      message,
    }));
    return badRequest('The request is not valid', errors);
  }
  if (error instanceof NotFoundError) return notFound(`${error.entity} ${error.id} does not exist`);
  if (error instanceof ConflictError)
    return conflict(`${error.entity} ${error.id}: ${error.reason}`);
  if (error instanceof UnavailableError) return unavailable('The database is unavailable');

  if (error instanceof WorkflowUpdateFailedError) return updateRefused(error.cause);
  if (error instanceof WorkflowNotFoundError) return notFound('No such resource');
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError)
    return unavailable('Temporal did not answer in time; retrying is safe');
  if (isTemporalUnavailable(error)) return unavailable('Temporal is unavailable');
  return undefined;
}

/** An Update refused by the workflow: its validator or handler said why, for the client. */
function updateRefused(cause: unknown): HttpError {
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? '';
    if (type === SUBSCRIPTION_STATE_CONFLICT || type === COUPON_ALREADY_REDEEMED)
      return conflict(cause.message);
    if (type === COUPON_NOT_FOUND) return notFound(cause.message);
    return unprocessable(cause.message);
  }
  return unprocessable('The request was refused');
}

function isTemporalUnavailable(error: unknown): boolean {
  // The client wraps the gRPC error (ServiceError → cause); look a few causes deep.
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isGrpcServiceError(e) && GRPC_UNAVAILABLE.has(e.code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** body-parser's errors carry a 4xx `status` and a `type`; its messages are not shown as is. */
function bodyParserError(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null || !('type' in error) || !('status' in error))
    return undefined;
  const status = typeof error.status === 'number' ? error.status : 500;
  if (status < 400 || status >= 500) return undefined;
  switch (error.type) {
    case 'entity.too.large':
      return new HttpError(413, 'Content Too Large', 'The request body is too large');
    case 'entity.parse.failed':
      return badRequest('The request body is not valid JSON');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new HttpError(415, 'Unsupported Media Type', 'The body must be UTF-8 JSON');
    default:
      return badRequest('The request body could not be read');
  }
}
