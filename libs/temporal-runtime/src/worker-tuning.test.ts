import { shutdownDeadlineMs, workerTuningOptions, type WorkerTuning } from './worker-tuning';

const FIXED: WorkerTuning = {
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxCachedWorkflows: 1_000,
  shutdownGraceTimeMs: 30_000,
};

describe('workerTuningOptions', () => {
  it('gives fixed slots by default, and bounds the stop past the grace time', () => {
    expect(workerTuningOptions(FIXED)).toEqual({
      maxConcurrentActivityTaskExecutions: 100,
      maxConcurrentWorkflowTaskExecutions: 40,
      maxCachedWorkflows: 1_000,
      shutdownGraceTime: 30_000,
      shutdownForceTime: 35_000,
    });
    expect(shutdownDeadlineMs(FIXED)).toBe(40_000);
  });

  it('gives a resource-based tuner capped at the maxima, never with maxConcurrent* beside it', () => {
    const options = workerTuningOptions({
      ...FIXED,
      resourceBased: { targetCpuUsage: 0.7, targetMemoryUsage: 0.8 },
    });
    expect(options).toEqual({
      tuner: {
        tunerOptions: { targetCpuUsage: 0.7, targetMemoryUsage: 0.8 },
        workflowTaskSlotOptions: { maximumSlots: 40 },
        activityTaskSlotOptions: { maximumSlots: 100 },
      },
      maxCachedWorkflows: 1_000,
      shutdownGraceTime: 30_000,
      shutdownForceTime: 35_000,
    });
    expect(Object.keys(options).filter((key) => key.startsWith('maxConcurrent'))).toEqual([]);
  });
});
