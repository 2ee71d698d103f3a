import { randomUUID } from 'node:crypto';
import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { healthRouter } from './health/health-router';
import type { ReadinessCheck } from './health/readiness';
import { errorHandler, notFoundHandler } from './http/problem';

export interface AppDeps {
  readonly logger: Logger;
  /** Named dependency checks for `/readyz`, e.g. `{ temporal, database }`. */
  readonly readiness: Readonly<Record<string, ReadinessCheck>>;
  readonly readinessTimeoutMs?: number;
}

const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Builds the Express app; it neither listens nor reads the environment (see main.ts). */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(helmet());
  app.use(
    pinoHttp({
      logger: deps.logger,
      // Honour a caller's well-formed request id so a request can be followed across services.
      genReqId: (req, res) => {
        const incoming = req.headers['x-request-id'];
        const id =
          typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
      autoLogging: { ignore: (req) => req.url === '/healthz' || req.url === '/readyz' },
    }),
  );
  app.use(express.json({ limit: '64kb', strict: true }));
  app.use(healthRouter(deps.readiness, deps.readinessTimeoutMs ?? 2_000));
  app.use(notFoundHandler);
  app.use(errorHandler);
  return app;
}
