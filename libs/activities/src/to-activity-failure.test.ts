import {
  BackendRejectedError,
  ConflictError,
  NotFoundError,
  UnavailableError,
  ValidationError,
} from '@invincible/astra-repo';
import { ApplicationFailure } from '@temporalio/common';
import { toActivityFailure } from './to-activity-failure';

describe('toActivityFailure', () => {
  it.each([
    [new NotFoundError('customer', 'c1'), 'NotFoundError', [{ entity: 'customer', id: 'c1' }]],
    [
      new ConflictError('charge', 's1:1', 'different amount'),
      'ConflictError',
      [{ entity: 'charge', id: 's1:1' }],
    ],
    [
      new ValidationError('bad input', { total: 'must be positive' }),
      'ValidationError',
      [{ total: 'must be positive' }],
    ],
    // A query the database will never accept: the activity fails at once, with its reason.
    [
      new BackendRejectedError(
        'astra',
        'INVALID_DATABASE_QUERY',
        'Only EQ relations are supported',
      ),
      'BackendRejectedError',
      [],
    ],
  ])('makes %p a non-retryable ApplicationFailure typed by its name', (error, type, details) => {
    const failure = toActivityFailure(error);
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type, nonRetryable: true, message: error.message, details });
  });

  it('leaves UnavailableError and unknown errors to be retried', () => {
    const unavailable = new UnavailableError('cassandra', 'timeout');
    expect(toActivityFailure(unavailable)).toBe(unavailable);
    const unknown = new Error('boom');
    expect(toActivityFailure(unknown)).toBe(unknown);
  });
});
