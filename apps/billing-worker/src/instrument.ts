/**
 * Tracing, started before anything else loads: the first import of main.ts. OpenTelemetry's
 * instrumentations patch http, fetch and cassandra-driver as they are first required, so this
 * module must run before the modules that use them. Off unless the OTEL_* variables ask for it.
 */
import { startTracingFromEnv } from '@invincible/temporal-runtime';

export const tracing = startTracingFromEnv('billing-worker', process.env);
