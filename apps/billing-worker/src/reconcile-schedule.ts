import {
  RECONCILE_SCHEDULE_ID,
  RECONCILE_TASK_QUEUE,
  RECONCILE_WORKFLOW_TYPE,
  type ReconcileInput,
  type ReconcileSettings,
} from '@invincible/workflows';
import {
  ScheduleAlreadyRunning,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleClient,
  type ScheduleOptions,
} from '@temporalio/client';

export interface ReconcileScheduleOptions {
  /** Milliseconds between runs; null disables (pauses an existing schedule, creates none). */
  readonly intervalMs: number | null;
  readonly settings: Partial<ReconcileSettings>;
}

/**
 * Creates the `reconcile` Temporal Schedule, or brings an existing one to `options` (every
 * replica of the billing worker does this at start: the first creates it, the others update it,
 * so a deploy that changes the interval changes the schedule). Overlap policy SKIP: a run still
 * going when the next is due makes that one skipped, never two at once.
 */
export async function ensureReconcileSchedule(
  schedules: ScheduleClient,
  options: ReconcileScheduleOptions,
): Promise<'created' | 'updated' | 'paused' | 'absent'> {
  const handle = schedules.getHandle(RECONCILE_SCHEDULE_ID);
  if (options.intervalMs === null) {
    try {
      await handle.pause('RECONCILE_INTERVAL is off');
      return 'paused';
    } catch (error) {
      if (error instanceof ScheduleNotFoundError) return 'absent';
      throw error;
    }
  }
  const input: ReconcileInput = { settings: options.settings };
  const schedule = {
    scheduleId: RECONCILE_SCHEDULE_ID,
    spec: { intervals: [{ every: options.intervalMs }] },
    action: {
      type: 'startWorkflow',
      workflowType: RECONCILE_WORKFLOW_TYPE,
      // The schedule appends each run's instant: `reconcile-<instant>` is the run id.
      workflowId: RECONCILE_SCHEDULE_ID,
      taskQueue: RECONCILE_TASK_QUEUE,
      args: [input],
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 minute' },
  } satisfies ScheduleOptions;
  try {
    await schedules.create(schedule);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
  }
  await handle.update((previous) => ({
    ...previous,
    spec: schedule.spec,
    action: schedule.action,
    policies: { ...previous.policies, ...schedule.policies },
    state: { ...previous.state, paused: false },
  }));
  return 'updated';
}
