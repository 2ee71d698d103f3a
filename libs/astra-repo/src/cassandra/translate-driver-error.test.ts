import { errors as driverErrors, types } from 'cassandra-driver';
import { ConflictError, UnavailableError } from '../errors';
import { translateDriverError } from './translate-driver-error';

const { responseErrorCodes: codes } = types;

/** The base class is abstract in the typings only; the driver itself throws plain instances. */
const DriverError = driverErrors.DriverError as unknown as new (message: string) => Error & {
  isSocketError?: boolean;
};

/** What the driver throws when Cassandra dies under a request (connection.js, writers.js). */
function socketClosed(): Error {
  const error = new DriverError('Socket was closed');
  error.isSocketError = true;
  return error;
}

describe('translateDriverError', () => {
  it.each<[string, () => Error]>([
    ['Socket was closed', socketClosed],
    [
      'NoHostAvailableError',
      () =>
        new driverErrors.NoHostAvailableError({
          '127.0.0.1:9042': Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), {
            code: 'ECONNREFUSED',
          }),
        }),
    ],
    [
      'OperationTimedOutError',
      () => new driverErrors.OperationTimedOutError('The host did not reply', '127.0.0.1:9042'),
    ],
    ['BusyConnectionError', () => new driverErrors.BusyConnectionError('127.0.0.1:9042', 2048, 1)],
    ['Unavailable', () => new driverErrors.ResponseError(codes.unavailableException, 'x')],
    ['WriteTimeout', () => new driverErrors.ResponseError(codes.writeTimeout, 'x')],
    ['ReadTimeout', () => new driverErrors.ResponseError(codes.readTimeout, 'x')],
    ['Overloaded', () => new driverErrors.ResponseError(codes.overloaded, 'x')],
    ['IsBootstrapping', () => new driverErrors.ResponseError(codes.isBootstrapping, 'x')],
    [
      'a reset socket',
      () => Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET', syscall: 'read' }),
    ],
  ])('maps %s to a retryable UnavailableError keeping the cause', (_name, make) => {
    const cause = make();
    const mapped = translateDriverError(cause);
    expect(mapped).toBeInstanceOf(UnavailableError);
    expect(mapped).toMatchObject({ retryable: true, backend: 'cassandra', cause });
  });

  it.each<[string, () => Error]>([
    ['a syntax error', () => new driverErrors.ResponseError(codes.syntaxError, 'line 1:0')],
    ['an invalid query', () => new driverErrors.ResponseError(codes.invalid, 'unknown column')],
    ['bad credentials', () => new driverErrors.AuthenticationError('bad credentials')],
    ['an argument error', () => new driverErrors.ArgumentError('wrong type')],
    ['a DriverError that is no socket error', () => new DriverError('something else')],
  ])('leaves %s as it is (a bug, not an outage)', (_name, make) => {
    const cause = make();
    expect(translateDriverError(cause)).toBe(cause);
  });

  it('passes repository errors through and wraps what is not an Error', () => {
    const conflict = new ConflictError('charge', 's1:1', 'other amount');
    expect(translateDriverError(conflict)).toBe(conflict);
    expect(translateDriverError('boom')).toEqual(new Error('boom'));
  });
});
