import {
  ConflictError,
  InvalidCursorError,
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
import { ApplicationFailure, NamespaceNotFoundError } from '@temporalio/common';
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
  1, // CANCELLED: our own deadline or a connection closed under the call, never the request's fault
  4, // DEADLINE_EXCEEDED
  8, // RESOURCE_EXHAUSTED
  10, // ABORTED: a concurrency conflict inside Temporal; the SDK's own retry policy retries it
  14, // UNAVAILABLE
]);
const GRPC_INVALID_ARGUMENT = 3;
const GRPC_NOT_FOUND = 5;
const GRPC_FAILED_PRECONDITION = 9;
const GRPC_INTERNAL = 13;

/**
 * FAILED_PRECONDITION is mostly a real refusal (a namespace not active, a request Temporal cannot
 * apply), except Temporal's `WorkflowNotReady`: the workflow's task is failing or its state is
 * briefly incomplete (e.g. "Unable to perform workflow execution update due to Workflow Task in
 * failed state."), which a deploy of a fixed worker or a moment clears. Matched by its texts.
 */
const WORKFLOW_NOT_READY =
  /Workflow Task in failed state|unexpected workflow task failure|Workflow state is not ready|workflow has buffered events|workflow not ready/i;

/**
 * INTERNAL is ambiguous; only HTTP/2 stream resets (a proxy or a connection that went away
 * mid-call) are transient — the same rule as the SDK's `isRetryableError`. TLS alerts are not.
 */
const TRANSIENT_INTERNAL = /RST_STREAM with code [02]\b|Call ended without gRPC status/i;

/**
 * Maps what handlers throw onto the HTTP problem to answer: typed errors of the repository and
 * of the Temporal client, body-parser's errors, and our own `HttpError`. Undefined means an
 * unexpected error: a 500 that only the log explains.
 */
export function toHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  const bodyParser = bodyParserError(error);
  if (bodyParser) return bodyParser;

  // A listing's cursor arrives in the query string: say so, so the client knows what to fix.
  if (error instanceof InvalidCursorError) {
    return badRequest('The request query is not valid', [
      { in: 'query', field: 'cursor', message: error.fields['cursor'] ?? 'not a valid cursor' },
    ]);
  }
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
  if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return updateTimedOut();
  if (namespaceNotFound(error))
    return unavailable('Temporal does not know the namespace at the moment; retry later');
  const unregistered = unregisteredSearchAttribute(error);
  if (unregistered) {
    return unavailable(
      `Temporal namespace ${unregistered.namespace} has no search attribute ${unregistered.name} yet: a billing or loyalty worker registers them when it starts (or register them with \`temporal operator search-attribute create\`); retry after that`,
    );
  }
  const grpc = transientGrpcError(error);
  if (grpc === 'not-ready')
    return unavailable('The workflow cannot take requests at the moment; retry later');
  if (grpc === 'unavailable') return unavailable('Temporal is unavailable');
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

/**
 * An Update that did not complete before its deadline — Temporal unreachable (its client retries
 * until the deadline), no worker, or a stalled handler: it may still be applied. The routes give
 * every Update an id derived from the Idempotency-Key (a purchase: from its purchaseId), and
 * Temporal answers a repeated id with the first outcome, so such a retry cannot apply it twice.
 */
function updateTimedOut(): HttpError {
  return unavailable(
    'Temporal or the workflow did not answer in time; the change may still be applied. Retrying with the same Idempotency-Key (a purchase: the same purchaseId) is safe: it returns the first outcome instead of applying the change twice',
  );
}

/**
 * The configured namespace unknown to Temporal: never the request's fault. A server that just
 * restarted answers so until its namespace registry is loaded (seen in the soak on Temporal on
 * Cassandra); a namespace that really is missing is a deployment's, and readiness says so.
 */
function namespaceNotFound(error: unknown): boolean {
  if (error instanceof NamespaceNotFoundError) return true;
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code;
      return code === GRPC_NOT_FOUND && /^Namespace \S+ is not found/.test(e.message);
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * A start or an Update naming a search attribute the namespace does not have (INVALID_ARGUMENT
 * "Namespace <ns> has no mapping defined for search attribute <name>"): a deployment not finished
 * (no worker has registered them yet), never the request's fault. Readiness reports it too.
 */
function unregisteredSearchAttribute(
  error: unknown,
): { readonly namespace: string; readonly name: string } | undefined {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code;
      const match = /Namespace (\S+) has no mapping defined for search attribute (\S+)/.exec(
        `${e.details} ${e.message}`,
      );
      return code === GRPC_INVALID_ARGUMENT && match?.[1] && match[2]
        ? { namespace: match[1], name: match[2] }
        : undefined;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function transientGrpcError(error: unknown): 'unavailable' | 'not-ready' | undefined {
  // The client wraps the gRPC error (ServiceError → cause); look a few causes deep.
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code;
      if (GRPC_UNAVAILABLE.has(code)) return 'unavailable';
      // Update-with-start rethrows the operation's status: its text is the message, not details.
      if (
        code === GRPC_FAILED_PRECONDITION &&
        (WORKFLOW_NOT_READY.test(e.details) || WORKFLOW_NOT_READY.test(e.message))
      )
        return 'not-ready';
      if (
        code === GRPC_INTERNAL &&
        TRANSIENT_INTERNAL.test(e.details) &&
        !/SSL alert/i.test(e.details)
      )
        return 'unavailable';
      return undefined;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
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
