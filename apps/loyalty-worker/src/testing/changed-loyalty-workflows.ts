// A test fixture: the loyalty workflow "changed" in a way that is not replay-safe (it now waits
// before anything else), to show that the recorded histories catch such a change.
import { sleep } from '@temporalio/workflow';

export async function loyaltyProgram(): Promise<void> {
  await sleep('1 minute');
}
