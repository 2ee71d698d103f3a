import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';

/**
 * What executions' histories cost, over every run of each (the latest back through the runs it
 * continued from): bytes as the server stores them (protobuf) and activities scheduled.
 */
export async function historyCost(
  client: Client,
  workflowIds: readonly string[],
): Promise<{ readonly bytes: number; readonly activities: number }> {
  let bytes = 0;
  let activities = 0;
  for (const workflowId of workflowIds) {
    let runId: string | undefined;
    for (let run = 0; run < 1_000; run++) {
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      bytes += temporal.api.history.v1.History.encode(history).finish().length;
      activities += (history.events ?? []).filter(
        (e) => e.activityTaskScheduledEventAttributes,
      ).length;
      runId =
        history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId ??
        undefined;
      if (!runId) break;
    }
  }
  return { bytes, activities };
}
