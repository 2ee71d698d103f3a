import { toActivityFailure } from './to-activity-failure';

/** Runs an activity's work, turning repository errors into the Temporal failures they call for. */
export async function guarded<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw toActivityFailure(error);
  }
}
