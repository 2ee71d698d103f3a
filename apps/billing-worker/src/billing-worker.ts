import {
  PAYLOAD_CONVERTER_SOURCE,
  TRACING_INTERCEPTORS_SOURCE,
  BILLING_TASK_QUEUE,
  type BillingActivities,
  type ReconciliationActivities,
} from '@invincible/workflows';
import {
  tracingWorkerOptions,
  workerTuningOptions,
  type WorkerFactoryDeps,
} from '@invincible/temporal-runtime';
import { Worker } from '@temporalio/worker';

/** The activities are billing's and reconciliation's (hosted on the same task queue). */
export type BillingWorkerDeps = WorkerFactoryDeps<BillingActivities & ReconciliationActivities>;

/** Creates the worker polling the `billing` task queue; running and stopping it is the caller's. */
export function createBillingWorker(deps: BillingWorkerDeps): Promise<Worker> {
  return Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: BILLING_TASK_QUEUE,
    activities: deps.activities,
    // Spans for workflow runs, Updates, signals and activities, parented on the caller's trace.
    ...tracingWorkerOptions(deps.tracing, [require.resolve(TRACING_INTERCEPTORS_SOURCE)]),
    // Undecodable payloads reach the workflow as a marker its message guard rejects (with a
    // prebuilt bundle, the bundle carries the same converter for the workflow side).
    dataConverter: {
      payloadConverterPath: require.resolve(PAYLOAD_CONVERTER_SOURCE),
      // Encryption runs outside the sandbox, on every payload the worker sends or receives.
      ...(deps.payloadCodec ? { payloadCodecs: [deps.payloadCodec] } : {}),
    },
    ...('bundlePath' in deps.workflows
      ? { workflowBundle: { codePath: deps.workflows.bundlePath } }
      : { workflowsPath: deps.workflows.workflowsPath }),
    // Fixed slots or the resource-based tuner; a stop bounded past the grace time.
    ...workerTuningOptions(deps.tuning),
  });
}
