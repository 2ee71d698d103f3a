/**
 * The workflow side of traces, for the workers' `interceptors.workflowModules` (and a prebuilt
 * bundle's `workflowInterceptorModules`): `@temporalio/interceptors-opentelemetry`'s workflow
 * interceptors — a span per run, signal, Update and scheduled activity, whose context the
 * activity's headers carry — turned on per run, behind a patch.
 *
 * Why a patch: those interceptors yield to the event loop where the workflow alone would not
 * (the SDK's flags keep that only for histories that ran with them), so a history recorded
 * without them can emit its commands in another order when replayed with them — an Update's
 * completion before an activity it scheduled. Installed as they are, a deploy that turns tracing
 * on would fail the tasks of every running subscription with a pending Update. So each run asks
 * `patched()` once, at its first traced call: a run that began without tracing keeps replaying
 * without it (until it continues as new), a new run records the marker and is traced for good.
 * Queries, Update validators and log attributes never ask (they may not record a marker); they
 * follow what the run has decided.
 */
import {
  OpenTelemetryInboundInterceptor,
  OpenTelemetryInternalsInterceptor,
  OpenTelemetryOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/workflow';
import {
  patched,
  type WorkflowInboundCallsInterceptor,
  type WorkflowInterceptors,
  type WorkflowInternalsInterceptor,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';

/** The patch id that marks a run traced from its start (see above). */
export const TRACING_PATCH = 'otel-workflow-tracing';

export const interceptors = (): WorkflowInterceptors => {
  let traced: boolean | undefined;
  /** Decides once per run (and the same way on every replay of it). */
  const decide = (): boolean => (traced ??= patched(TRACING_PATCH));
  /** What the run has decided, without deciding (read-only contexts). */
  const decided = (): boolean => traced === true;
  const otelIn = new OpenTelemetryInboundInterceptor();
  const otelOut = new OpenTelemetryOutboundInterceptor();
  const otelInternals = new OpenTelemetryInternalsInterceptor();

  const inbound: WorkflowInboundCallsInterceptor = {
    execute: (input, next) => (decide() ? otelIn.execute(input, next) : next(input)),
    handleSignal: (input, next) => (decide() ? otelIn.handleSignal(input, next) : next(input)),
    handleUpdate: (input, next) => (decide() ? otelIn.handleUpdate(input, next) : next(input)),
    validateUpdate: (input, next) => {
      if (decided()) otelIn.validateUpdate(input, next);
      else next(input);
    },
    handleQuery: (input, next) => (decided() ? otelIn.handleQuery(input, next) : next(input)),
  };
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next) =>
      decide() ? otelOut.scheduleActivity(input, next) : next(input),
    scheduleLocalActivity: (input, next) =>
      decide() ? otelOut.scheduleLocalActivity(input, next) : next(input),
    startChildWorkflowExecution: (input, next) =>
      decide() ? otelOut.startChildWorkflowExecution(input, next) : next(input),
    continueAsNew: (input, next) => (decide() ? otelOut.continueAsNew(input, next) : next(input)),
    signalWorkflow: (input, next) => (decide() ? otelOut.signalWorkflow(input, next) : next(input)),
    getLogAttributes: (input, next) =>
      decided() ? otelOut.getLogAttributes(input, next) : next(input),
    getMetricTags: (input, next) => (decided() ? otelOut.getMetricTags(input, next) : next(input)),
  };
  const internals: WorkflowInternalsInterceptor = {
    dispose: (input, next) => {
      // Ends what the run's spans left open (nothing when untraced).
      if (decided()) void otelInternals.dispose(input, next);
      else next(input);
    },
  };
  return { inbound: [inbound], outbound: [outbound], internals: [internals] };
};
