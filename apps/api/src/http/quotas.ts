import { isGrpcServiceError, type Client } from '@temporalio/client';
import type { Logger } from 'pino';
import { HttpError } from './http-error';

/**
 * Running workflows whose id starts with `prefix` (a tenant's subscriptions or loyalty programs:
 * workflow ids carry the tenant), from Temporal's visibility — the source of truth of what runs.
 * Visibility is eventually consistent (a start shows within moments), so a limit checked with it
 * is a soft limit: concurrent starts may pass it by a few. Null when the visibility store cannot
 * answer such a query (Cassandra-backed standard visibility), and the limit is then not enforced.
 */
export async function countRunning(
  temporal: Client,
  prefix: string,
  options: { readonly timeoutMs: number; readonly logger?: Logger | undefined },
): Promise<number | null> {
  if (!/^[A-Za-z0-9_.:~-]+$/.test(prefix)) throw new Error(`not a workflow id prefix: ${prefix}`);
  const logger = options.logger;
  try {
    const { count } = await temporal.withDeadline(Date.now() + options.timeoutMs, () =>
      temporal.workflow.count(`WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "Running"`),
    );
    return count;
  } catch (error) {
    if (queryUnsupported(error)) {
      logger?.warn({ err: error, prefix }, 'visibility cannot count workflows: quota not enforced');
      return null;
    }
    throw error;
  }
}

const GRPC_INVALID_ARGUMENT = 3;
const GRPC_UNIMPLEMENTED = 12;

/** The client wraps the gRPC error (ServiceError → cause): look a few causes deep. */
function queryUnsupported(error: unknown): boolean {
  let e: unknown = error;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    if (isGrpcServiceError(e)) {
      const code: number = e.code;
      return code === GRPC_INVALID_ARGUMENT || code === GRPC_UNIMPLEMENTED;
    }
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/** 403: the tenant has reached one of its limits (an admin can raise it). */
export const quotaExceeded = (detail: string) => new HttpError(403, 'Quota Exceeded', detail);
