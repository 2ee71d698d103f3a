import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
} from '@temporalio/interceptors-opentelemetry/lib/worker';
import { NoopSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Resource } from '@opentelemetry/resources';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { WorkerOptions } from '@temporalio/worker';
import type { Tracing } from './tracing';

/**
 * The client's interceptors: a span per start, signal, Update and query, whose context travels
 * to the workflow in the request's headers. Harmless without a tracer provider (no-op spans, no
 * headers).
 */
export function tracingClientInterceptors(): { workflow: WorkflowClientInterceptor[] } {
  return { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
}

/**
 * What a worker adds to its options for traces: the activity spans (children of the workflow's
 * "StartActivity" span, parents of the CQL and Data API spans the activity makes), the workflow
 * interceptor modules (in the sandbox; on per run behind a patch), and the sink that exports the
 * sandbox's spans. The workflow modules are always installed (a prebuilt bundle carries them
 * whatever the environment), so the sink is too: without tracing it drops the spans.
 */
export function tracingWorkerOptions(
  tracing: Tracing | undefined,
  /** The workflow interceptor modules: `@invincible/workflows`' TRACING_INTERCEPTORS_SOURCE. */
  workflowModules: readonly string[],
): Required<Pick<WorkerOptions, 'sinks'>> & {
  readonly interceptors: Required<
    Pick<NonNullable<WorkerOptions['interceptors']>, 'activity' | 'workflowModules'>
  >;
} {
  return {
    interceptors: {
      activity: [
        (ctx) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(ctx),
          outbound: new OpenTelemetryActivityOutboundInterceptor(ctx),
        }),
      ],
      workflowModules: [...workflowModules],
    },
    sinks: {
      exporter: makeWorkflowExporter(
        tracing?.spanProcessor ?? new NoopSpanProcessor(),
        tracing?.resource ?? Resource.empty(),
      ),
    },
  };
}
