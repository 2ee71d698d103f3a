/**
 * Workflow code for the Update-deadline test (the worker's `workflowsPath`): a workflow whose
 * every Update is accepted and then never completes — a stalled handler, as in a workflow that
 * waits on something that never comes.
 */
import { condition, setDefaultUpdateHandler } from '@temporalio/workflow';

export async function stalledWorkflow(): Promise<void> {
  setDefaultUpdateHandler(async () => {
    await condition(() => false);
  });
  await condition(() => false);
}
