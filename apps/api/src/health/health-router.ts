import { Router } from 'express';
import { sendProblem } from '../http/problem';
import { runChecks, type ReadinessCheck } from './readiness';

/**
 * `GET /healthz`: the process is alive (no dependency is consulted, so an orchestrator never
 * restarts the API because the database is down). `GET /readyz`: every dependency answers; a 503
 * names the ones that do not, and is answered at once while the process drains after SIGTERM.
 */
export function healthRouter(
  checks: Readonly<Record<string, ReadinessCheck>>,
  timeoutMs: number,
  /** True once the process is shutting down: not ready, whatever the dependencies say. */
  draining: () => boolean = () => false,
): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    if (draining()) {
      // At once, without consulting anything: a load balancer must stop routing here now.
      res.setHeader('Retry-After', '5');
      sendProblem(res, {
        title: 'Service Unavailable',
        status: 503,
        detail: 'Shutting down: finishing the requests in flight',
      });
      return;
    }
    const results = await runChecks(checks, timeoutMs);
    const down = Object.keys(results).filter((name) => results[name] === 'down');
    if (down.length === 0) {
      res.json({ status: 'ready', checks: results });
      return;
    }
    res.setHeader('Retry-After', '5');
    sendProblem(res, {
      title: 'Service Unavailable',
      status: 503,
      detail: `Not ready: ${down.join(', ')} ${down.length === 1 ? 'is' : 'are'} unreachable`,
      checks: results,
    });
  });
  return router;
}
