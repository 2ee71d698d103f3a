import { ApiError } from './api-error';
import { idempotencyKeys } from './idempotency';

describe('idempotencyKeys: one key per intended change', () => {
  it('keeps the key for the same values until a success, and gives other values another', () => {
    const keys = idempotencyKeys();
    const first = keys.keyFor({ price: '12.50' });
    expect(keys.keyFor({ price: '12.50' })).toBe(first);
    const other = keys.keyFor({ price: '13.00' });
    expect(other).not.toBe(first);
    keys.reset();
    expect(keys.keyFor({ price: '13.00' })).not.toBe(other);
  });

  it('keeps it through a failure of unknown outcome, not through a definitive refusal', () => {
    const keys = idempotencyKeys();
    const first = keys.keyFor('cus_ada:1');
    // No answer, a 503 "may still be applied", a 500: the retry must be the same request.
    for (const status of [0, 503, 500]) {
      keys.failed(new ApiError(status, 'unknown outcome', null));
      expect(keys.keyFor('cus_ada:1')).toBe(first);
    }
    // A 409: the change did not happen; trying again is a new attempt.
    keys.failed(new ApiError(409, 'already redeemed', null));
    expect(keys.keyFor('cus_ada:1')).not.toBe(first);
  });
});
