import type { MigratableRepository } from './create-repository';
import { BackendRejectedError, UnavailableError } from './errors';
import { migrateUntilDone } from './migrate-until-done';

describe('migrateUntilDone', () => {
  const failing = (...errors: Error[]) => {
    let attempts = 0;
    const repository = {
      migrate: () => {
        const error = errors[attempts++];
        return error ? Promise.reject(error) : Promise.resolve({ applied: true });
      },
    } as unknown as MigratableRepository;
    return { repository, attempts: () => attempts };
  };

  it('waits out an unavailable database', async () => {
    const { repository, attempts } = failing(
      new UnavailableError('cassandra', 'connection refused'),
      new UnavailableError('cassandra', 'connection refused'),
    );
    const retried: unknown[] = [];
    await expect(
      migrateUntilDone(repository, { retryDelayMs: 1, onRetry: (e) => retried.push(e) }),
    ).resolves.toBe(true);
    expect([attempts(), retried.length]).toEqual([3, 2]);
  });

  it('stops at once on a refusal no retry can change', async () => {
    const refusal = new BackendRejectedError('astra', 'TOO_MANY_COLLECTIONS', 'at most 5');
    const { repository, attempts } = failing(refusal);
    await expect(migrateUntilDone(repository, { retryDelayMs: 1 })).rejects.toBe(refusal);
    expect(attempts()).toBe(1);
  });
});
