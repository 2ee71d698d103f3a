import { describeRepositoryContract } from '../testing/repository-contract';
import { createInMemoryRepository } from './in-memory-repository';

describeRepositoryContract('in-memory', () => {
  const repo = createInMemoryRepository();
  return Promise.resolve({ repo, close: () => repo.close() });
});
