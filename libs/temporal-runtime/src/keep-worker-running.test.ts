import { isConnectionError, keepWorkerRunning, type RetryEvent } from './keep-worker-running';

/** What the SDK's core reports when nothing listens on the address (NativeConnection.connect). */
const refused = () =>
  Object.assign(
    new Error(
      'Failed to connect to Temporal server: tcp connect error: Connection refused (os error 111)',
    ),
    { name: 'TransportError' },
  );

const connection = () => {
  const c = { closed: 0, close: () => Promise.resolve(void (c.closed += 1)) };
  return c;
};

describe('keepWorkerRunning', () => {
  const fast = { initialMs: 1, maxMs: 4 };

  it('waits for Temporal with growing backoff, then runs the worker', async () => {
    const retries: RetryEvent[] = [];
    let attempts = 0;
    const conn = connection();
    let ran = 0;
    await keepWorkerRunning({
      connect: () => (++attempts < 5 ? Promise.reject(refused()) : Promise.resolve(conn)),
      run: () => Promise.resolve(void (ran += 1)),
      signal: new AbortController().signal,
      onRetry: (e) => retries.push(e),
      backoff: fast,
    });
    expect(retries.map((r) => [r.what, r.attempt, r.delayMs])).toEqual([
      ['connect', 1, 1],
      ['connect', 2, 2],
      ['connect', 3, 4],
      ['connect', 4, 4],
    ]);
    expect(ran).toBe(1);
    expect(conn.closed).toBe(1);
  });

  it('reconnects when the worker fails on a lost connection, with a fresh connection', async () => {
    const connections = [connection(), connection()];
    let runs = 0;
    const retries: RetryEvent[] = [];
    await keepWorkerRunning({
      connect: () => Promise.resolve(connections[Math.min(runs, 1)] ?? connection()),
      run: () => {
        runs += 1;
        return runs === 1
          ? Promise.reject(new Error('Poll failed', { cause: new Error('transport error') }))
          : Promise.resolve();
      },
      signal: new AbortController().signal,
      onRetry: (e) => retries.push(e),
      backoff: fast,
    });
    expect(runs).toBe(2);
    expect(retries.map((r) => r.what)).toEqual(['run']);
    expect(connections.map((c) => c.closed)).toEqual([1, 1]);
  });

  it('throws what is not a connection failure (a bug, not an outage)', async () => {
    await expect(
      keepWorkerRunning({
        connect: () => Promise.resolve(connection()),
        run: () => Promise.reject(new Error('workflow bundle failed to build')),
        signal: new AbortController().signal,
        onRetry: () => undefined,
        backoff: fast,
      }),
    ).rejects.toThrow('workflow bundle failed to build');
  });

  it('gives up quietly, at once, on a shutdown signal', async () => {
    const stop = new AbortController();
    const waiting = keepWorkerRunning({
      connect: () => Promise.reject(refused()),
      run: () => Promise.resolve(),
      signal: stop.signal,
      onRetry: () => stop.abort(),
      backoff: { initialMs: 600_000, maxMs: 600_000 },
    });
    await expect(waiting).resolves.toBeUndefined();
  });
});

describe('isConnectionError', () => {
  it.each([
    ['a refused connection', refused()],
    [
      'a lost one, as a cause',
      new Error('Worker failed', { cause: new Error('h2 protocol error') }),
    ],
    ['gRPC UNAVAILABLE', new Error('14 UNAVAILABLE: No connection established')],
  ])('recognises %s', (_name, error) => {
    expect(isConnectionError(error)).toBe(true);
  });

  it('does not take a bug for an outage', () => {
    expect(isConnectionError(new TypeError('x is not a function'))).toBe(false);
    expect(isConnectionError('tcp connect error')).toBe(false);
  });
});
