import { startHealthServer } from './health-server';

describe('startHealthServer', () => {
  it('is live always, ready only when nothing says otherwise, 503 with Retry-After if not', async () => {
    let reason: string | undefined = 'connecting to Temporal';
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      notReady: () => Promise.resolve(reason),
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const down = await fetch(`${base}/readyz`);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toBe('5');
      expect(await down.json()).toEqual({ status: 'not ready', reason: 'connecting to Temporal' });
      reason = undefined;
      const up = await fetch(`${base}/readyz`);
      expect(up.status).toBe(200);
      expect(await up.json()).toEqual({ status: 'ready' });
      expect((await fetch(`${base}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it('is not ready when the check throws or hangs', async () => {
    let check: () => Promise<string | undefined> = () => Promise.reject(new Error('UNAVAILABLE'));
    const server = await startHealthServer({
      host: '127.0.0.1',
      port: 0,
      notReady: () => check(),
      timeoutMs: 200,
    });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
        status: 'not ready',
        reason: 'UNAVAILABLE',
      });
      check = () => new Promise(() => undefined);
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({
        status: 'not ready',
        reason: 'readiness check timed out',
      });
    } finally {
      await server.close();
    }
  });
});
