import { join } from 'node:path';
import express, { Router } from 'express';
import { sendProblem } from '../http/problem';

/** What the API serves of the operator console (apps/console), and what the console asks it. */
export interface ConsoleOptions {
  /** The built console: its index.html and hashed assets/. */
  readonly dir: string;
  /** The Temporal namespace of this API, for the console's links to the Web UI. */
  readonly namespace: string;
  /** The Temporal Web UI's base URL; null: the console shows no links to it. */
  readonly temporalUiUrl: string | null;
  /** Development only (config refuses it in production): offered by the sign-in page. */
  readonly devApiKey: string | null;
}

/**
 * The operator console under `/console`, a single-page app of static files on the API's own
 * origin (so it calls `/v1` with no CORS): hashed assets cached for a year, every other path the
 * app's index.html (its router decides), never cached. Its two JSON files are the only things the
 * console learns from here rather than from `/v1`: where the Temporal Web UI is, and (in
 * development) the key to offer. Nothing under `/console` needs or reads an API key.
 */
export function consoleRouter(options: ConsoleOptions): Router {
  const router = Router();
  const index = join(options.dir, 'index.html');
  // Exactly `/console` (Express matches `/console/` to a `/console` route too).
  router.get(/^\/console$/, (_req, res) => res.redirect(301, '/console/'));
  router.get('/console/config.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.json({ temporalUiUrl: options.temporalUiUrl, namespace: options.namespace });
  });
  // Always answered (null: none offered), so a console that asks logs no failed request.
  router.get('/console/dev-key.json', (_req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    res.json({ apiKey: options.devApiKey });
  });
  // Vite names each asset by its content's hash: a new build never reuses a name.
  router.use(
    '/console/assets',
    express.static(join(options.dir, 'assets'), { immutable: true, maxAge: '365d', index: false }),
    // An asset of another build: a 404, never the index in its place.
    (_req, res) => sendProblem(res, { title: 'Not Found', status: 404, detail: 'No such asset' }),
  );
  router.use('/console', express.static(options.dir, { index: false, maxAge: 0 }));
  router.get(/^\/console\/.*/, (_req, res) => {
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
