/**
 * Worker options that decide throughput, memory and how long a stop may take, set explicitly
 * rather than by SDK defaults. Both workers read them the same way (their `config.ts`).
 */
export interface WorkerTuning {
  /** The most activity tasks at once: fixed slots, or the tuner's ceiling. */
  readonly maxConcurrentActivityTaskExecutions: number;
  /** The most workflow tasks at once: fixed slots, or the tuner's ceiling. */
  readonly maxConcurrentWorkflowTaskExecutions: number;
  readonly maxCachedWorkflows: number;
  /** After a shutdown request, how long running activities get before they are cancelled. */
  readonly shutdownGraceTimeMs: number;
  /**
   * The SDK's resource-based tuner: slots are handed out, up to the maxima above, only while the
   * host's CPU and memory stay under these shares (0–1). Absent: fixed slots (the maxima).
   */
  readonly resourceBased?: {
    readonly targetCpuUsage: number;
    readonly targetMemoryUsage: number;
  };
}

/**
 * After the grace time, activities are cancelled; this long more is theirs to settle before the
 * worker gives up on them (`shutdownForceTime`: `run()` rejects, nothing more is awaited).
 */
export const SHUTDOWN_FORCE_MARGIN_MS = 5_000;

/**
 * After the grace time, the process exits whatever still hangs (closing connections, a stuck
 * flush): the bound an orchestrator's termination grace period must exceed.
 */
export const SHUTDOWN_EXIT_MARGIN_MS = 10_000;

/**
 * The longest a worker process takes from SIGTERM to exit: its grace time plus
 * {@link SHUTDOWN_EXIT_MARGIN_MS}. Kubernetes' `terminationGracePeriodSeconds` must be longer,
 * or the kubelet's SIGKILL cuts the drain short.
 */
export function shutdownDeadlineMs(tuning: Pick<WorkerTuning, 'shutdownGraceTimeMs'>): number {
  return tuning.shutdownGraceTimeMs + SHUTDOWN_EXIT_MARGIN_MS;
}

/** The slot options of `Worker.create`: fixed maxima, or a resource-based tuner (never both). */
export type WorkerSlotOptions =
  | {
      readonly maxConcurrentActivityTaskExecutions: number;
      readonly maxConcurrentWorkflowTaskExecutions: number;
    }
  | {
      readonly tuner: {
        readonly tunerOptions: {
          readonly targetCpuUsage: number;
          readonly targetMemoryUsage: number;
        };
        readonly workflowTaskSlotOptions: { readonly maximumSlots: number };
        readonly activityTaskSlotOptions: { readonly maximumSlots: number };
      };
    };

/** The options of `Worker.create` that `tuning` decides. */
export type WorkerTuningOptions = WorkerSlotOptions & {
  readonly maxCachedWorkflows: number;
  readonly shutdownGraceTime: number;
  readonly shutdownForceTime: number;
};

/**
 * Turns `tuning` into `Worker.create` options. The SDK refuses a tuner together with the
 * `maxConcurrent*` options, so with `resourceBased` the maxima become the tuner's `maximumSlots`:
 * a ceiling it never passes, however idle the host. The stop is bounded: `shutdownForceTime` is
 * the grace time plus {@link SHUTDOWN_FORCE_MARGIN_MS}.
 *
 * @example
 * ```ts
 * await Worker.create({ connection, taskQueue, activities, ...workerTuningOptions(config.tuning) });
 * ```
 */
export function workerTuningOptions(tuning: WorkerTuning): WorkerTuningOptions {
  const slots: WorkerSlotOptions = tuning.resourceBased
    ? {
        tuner: {
          tunerOptions: {
            targetCpuUsage: tuning.resourceBased.targetCpuUsage,
            targetMemoryUsage: tuning.resourceBased.targetMemoryUsage,
          },
          workflowTaskSlotOptions: { maximumSlots: tuning.maxConcurrentWorkflowTaskExecutions },
          activityTaskSlotOptions: { maximumSlots: tuning.maxConcurrentActivityTaskExecutions },
        },
      }
    : {
        maxConcurrentActivityTaskExecutions: tuning.maxConcurrentActivityTaskExecutions,
        maxConcurrentWorkflowTaskExecutions: tuning.maxConcurrentWorkflowTaskExecutions,
      };
  return {
    ...slots,
    maxCachedWorkflows: tuning.maxCachedWorkflows,
    shutdownGraceTime: tuning.shutdownGraceTimeMs,
    shutdownForceTime: tuning.shutdownGraceTimeMs + SHUTDOWN_FORCE_MARGIN_MS,
  };
}
