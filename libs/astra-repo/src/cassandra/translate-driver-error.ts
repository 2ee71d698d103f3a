import { errors as driverErrors, types } from 'cassandra-driver';
import { RepositoryError, UnavailableError } from '../errors';

const { responseErrorCodes: codes } = types;

/** Server answers that retrying can fix: timeouts, unavailable replicas, overload, bootstrap. */
const TRANSIENT_RESPONSES = new Set<number>([
  codes.unavailableException,
  codes.overloaded,
  codes.isBootstrapping,
  codes.writeTimeout,
  codes.readTimeout,
  codes.writeFailure,
  codes.readFailure,
]);

/** Node's socket errors, for a connection that broke under a request. */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH']);

/**
 * Maps what the Cassandra driver throws onto the repository's errors: every failure of the
 * connection or of the cluster's availability becomes a retryable `UnavailableError` (an HTTP
 * 503, a retried activity), anything else is returned as is.
 *
 * The driver marks a connection that closed under a request (`DriverError: Socket was closed`,
 * thrown when Cassandra dies mid-query) with `isSocketError`; that is no fault of the request.
 * A timed-out or interrupted lightweight transaction may have been applied: callers retry, and
 * the retry's `IF NOT EXISTS` / `IF` condition sees the first write instead of duplicating it.
 */
export function translateDriverError(error: unknown): Error {
  if (error instanceof RepositoryError) return error;
  if (isTransient(error))
    return new UnavailableError('cassandra', (error as Error).message, { cause: error });
  return error instanceof Error ? error : new Error(String(error));
}

function isTransient(error: unknown): boolean {
  if (
    error instanceof driverErrors.NoHostAvailableError ||
    error instanceof driverErrors.OperationTimedOutError ||
    error instanceof driverErrors.BusyConnectionError ||
    (error instanceof driverErrors.ResponseError && TRANSIENT_RESPONSES.has(error.code))
  )
    return true;
  if (!(error instanceof Error)) return false;
  if ((error as { isSocketError?: unknown }).isSocketError === true) return true;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && SOCKET_CODES.has(code);
}
