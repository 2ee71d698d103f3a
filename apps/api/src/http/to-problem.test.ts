import { Metadata, status, type ServiceError as GrpcServiceError } from '@grpc/grpc-js';
import { InvalidCursorError, UnavailableError, ValidationError } from '@invincible/astra-repo';
import { ServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { NamespaceNotFoundError } from '@temporalio/common';
import { toHttpError } from './to-problem';

/** A gRPC error as @grpc/grpc-js makes it (`callErrorFromStatus`): message, code, details, metadata. */
function grpcError(code: status, details: string): GrpcServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

/** As the client rethrows an unknown gRPC error (`rethrowGrpcError`): a ServiceError with cause. */
const wrapped = (code: status, details: string) =>
  new ServiceError('Workflow Update failed', { cause: grpcError(code, details) });

describe('toHttpError: transient infrastructure errors are 503 with Retry-After', () => {
  it.each<[string, unknown]>([
    [
      'an Update while the workflow task is failing (FAILED_PRECONDITION, WorkflowNotReady)',
      wrapped(
        status.FAILED_PRECONDITION,
        'Unable to perform workflow execution update due to Workflow Task in failed state.',
      ),
    ],
    [
      'a query while the workflow task is failing',
      wrapped(
        status.FAILED_PRECONDITION,
        'Unable to query workflow due to Workflow Task in failed state.',
      ),
    ],
    [
      'an Update aborted by an unexpected workflow task failure',
      wrapped(
        status.FAILED_PRECONDITION,
        'Unable to perform workflow execution update due to unexpected workflow task failure.',
      ),
    ],
    [
      // Seen in the full soak: a purchase (update-with-start) while a loyalty workflow's task
      // timed out on an overloaded machine; the client puts the operation's text in the message.
      'update-with-start while the workflow task is failing',
      Object.assign(
        grpcError(status.FAILED_PRECONDITION, 'Update-with-Start could not be executed.'),
        {
          message:
            'Unable to perform workflow execution update due to Workflow Task in failed state.',
        },
      ),
    ],
    ['UNAVAILABLE', wrapped(status.UNAVAILABLE, 'No connection established')],
    ['DEADLINE_EXCEEDED', wrapped(status.DEADLINE_EXCEEDED, 'Deadline exceeded')],
    ['RESOURCE_EXHAUSTED', wrapped(status.RESOURCE_EXHAUSTED, 'namespace rate limit exceeded')],
    ['ABORTED', wrapped(status.ABORTED, 'transaction conflict')],
    ['CANCELLED (a connection closed under the call)', wrapped(status.CANCELLED, 'Call cancelled')],
    [
      'INTERNAL from an HTTP/2 stream reset',
      wrapped(
        status.INTERNAL,
        'Received RST_STREAM with code 2 triggered by internal client error',
      ),
    ],
    ['a bare gRPC error (signal, start)', grpcError(status.UNAVAILABLE, 'connection refused')],
    [
      // Seen in the soak: a Temporal server on Cassandra that just restarted has not loaded its
      // namespace registry yet; update-with-start rethrows the operation's status as is.
      'the namespace not known (yet) to a restarted server, from update-with-start',
      Object.assign(grpcError(status.NOT_FOUND, 'Update-with-Start could not be executed.'), {
        message: 'Namespace default is not found.',
      }),
    ],
    [
      'the namespace not known (yet), as the client types it',
      new NamespaceNotFoundError('default'),
    ],
    [
      'an Update call that timed out',
      new WorkflowUpdateRPCTimeoutOrCancelledError('Deadline exceeded', {
        cause: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
      }),
    ],
    ['the database being away', new UnavailableError('cassandra', 'Socket was closed')],
  ])('%s', (_name, error) => {
    const mapped = toHttpError(error);
    expect(mapped).toMatchObject({ status: 503, title: 'Service Unavailable' });
    expect(mapped?.headers['Retry-After']).toMatch(/^\d+$/);
  });

  it('says that retrying a timed-out Update with the same Idempotency-Key is safe', () => {
    const mapped = toHttpError(
      new WorkflowUpdateRPCTimeoutOrCancelledError('Deadline exceeded', {
        cause: grpcError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'),
      }),
    );
    expect(mapped?.detail).toMatch(/did not answer in time.*same Idempotency-Key .*is safe/);
  });

  it.each<[string, unknown]>([
    [
      'another FAILED_PRECONDITION (a real refusal)',
      wrapped(status.FAILED_PRECONDITION, 'Namespace default is not active'),
    ],
    ['INVALID_ARGUMENT', wrapped(status.INVALID_ARGUMENT, 'bad request')],
    [
      'INTERNAL from a TLS alert',
      wrapped(status.INTERNAL, 'RST_STREAM with code 2: SSL alert number 40'),
    ],
    ['INTERNAL in general', wrapped(status.INTERNAL, 'failed to decode')],
    ['UNKNOWN', wrapped(status.UNKNOWN, 'who knows')],
    ['a plain Error', new Error('bug')],
  ])('leaves %s unmapped (a 500 the log explains)', (_name, error) => {
    expect(toHttpError(error)).toBeUndefined();
  });
});

describe('toHttpError: invalid input is a 400 naming where it is', () => {
  it('reports a cursor the repository refused in the query, where the client sent it', () => {
    const problem = toHttpError(new InvalidCursorError('not a cursor of this listing'));
    expect(problem).toMatchObject({
      status: 400,
      extensions: {
        errors: [{ in: 'query', field: 'cursor', message: 'not a cursor of this listing' }],
      },
    });
  });

  it('reports other repository validation errors against the body', () => {
    const problem = toHttpError(new ValidationError('invalid customer', { email: 'not an email' }));
    expect(problem).toMatchObject({
      status: 400,
      extensions: { errors: [{ in: 'body', field: 'email', message: 'not an email' }] },
    });
  });
});

describe("toHttpError: a namespace without the workflows' search attributes", () => {
  it('is a 503 naming the namespace, the attribute and what registers it', () => {
    // What the dev server answers a start naming an unregistered attribute (seen on 1.29).
    const error = new ServiceError('Failed to start Workflow', {
      cause: grpcError(
        status.INVALID_ARGUMENT,
        'Namespace billing has no mapping defined for search attribute CustomerId',
      ),
    });
    const problem = toHttpError(error);
    expect(problem?.status).toBe(503);
    expect(problem?.detail).toMatch(
      /^Temporal namespace billing has no search attribute CustomerId yet: a billing or loyalty worker registers them/,
    );
  });

  it('leaves other INVALID_ARGUMENT answers unmapped', () => {
    expect(
      toHttpError(wrapped(status.INVALID_ARGUMENT, 'WorkflowId length exceeds limit')),
    ).toBeUndefined();
  });
});
