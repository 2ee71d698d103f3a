import {
  ConflictError,
  InvalidCursorError,
  NotFoundError,
  RepositoryError,
  UnavailableError,
  ValidationError,
} from './errors';

describe('repository errors', () => {
  it('are RepositoryErrors with their own names and retryability', () => {
    const cases = [
      [new NotFoundError('customer', 'c1'), 'NotFoundError', false],
      [new ConflictError('charge', 's1:1', 'stored with another amount'), 'ConflictError', false],
      [new ValidationError('bad id', { id: 'too long' }), 'ValidationError', false],
      [new UnavailableError('cassandra', 'no hosts'), 'UnavailableError', true],
      [new InvalidCursorError('too long'), 'InvalidCursorError', false],
    ] as const;
    for (const [error, name, retryable] of cases) {
      expect(error).toBeInstanceOf(RepositoryError);
      expect(error).toBeInstanceOf(Error);
      expect(error.name).toBe(name);
      expect(error.retryable).toBe(retryable);
    }
  });

  it('carry their context in readonly fields and a readable message', () => {
    const error = new ConflictError('charge', 's1:1', 'stored with another amount');
    expect(error).toMatchObject({
      entity: 'charge',
      id: 's1:1',
      reason: 'stored with another amount',
    });
    expect(error.message).toBe('charge "s1:1": stored with another amount');
    expect(new UnavailableError('astra', 'timed out', { cause: 'x' }).cause).toBe('x');
  });
});
