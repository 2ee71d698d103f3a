// A test fixture: the subscription workflow "changed" in a way that is not replay-safe (it now
// waits before its first side effect), to show that the recorded histories catch such a change.
import { sleep } from '@temporalio/workflow';

export async function subscription(): Promise<void> {
  await sleep('1 minute');
}
