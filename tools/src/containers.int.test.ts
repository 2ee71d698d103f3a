import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK_WORKERS, taskQueueHasPollers, workerTaskQueue } from './apps';
import { REPO_ROOT } from './paths';
import { freePort, spawnCollecting, waitFor } from './testing/processes';
import { testEnv } from './testing/test-env';

/**
 * What each app's Dockerfile does, without Docker: take `dist/apps/<app>` (pruned package.json
 * and lockfile, workspace libs copied in), `npm ci --omit=dev` it in an empty directory, and
 * start `node main.js` from there against the shared test servers.
 */
const CONTAINER_KEY = 'container-test-secret-0123456789';

/** The API and every worker of the stack (a generated domain's too); a worker with its queue. */
const APPS: readonly (readonly [string, string | undefined])[] = [
  ['api', undefined],
  ...STACK_WORKERS.map((worker) => [worker, workerTaskQueue(worker)] as const),
];

describe.each(APPS)('the built %s, installed as its container installs it', (app, taskQueue) => {
  jest.setTimeout(240_000);
  let dir: string;

  beforeAll(() => {
    const dist = join(REPO_ROOT, 'dist', 'apps', app);
    if (!existsSync(join(dist, 'package-lock.json')))
      throw new Error(`${dist} is not built: run \`nx build ${app}\``);
    dir = mkdtempSync(join(tmpdir(), `invincible-${app}-`));
    cpSync(dist, dir, { recursive: true });
    const install = spawnSync('npm', ['ci', '--omit=dev', '--no-audit', '--no-fund'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 200_000,
    });
    if (install.status !== 0)
      throw new Error(`npm ci failed in ${dir}:\n${install.stdout}\n${install.stderr}`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds production dependencies only', () => {
    for (const devOnly of ['nx', 'jest', 'typescript', 'eslint', 'tsx']) {
      expect(existsSync(join(dir, 'node_modules', devOnly))).toBe(false);
    }
    expect(
      existsSync(join(dir, 'node_modules', '@invincible', 'workflows', 'dist', 'index.js')),
    ).toBe(true);
  });

  if (taskQueue === undefined) {
    it('refuses to start in production without SIGNING_SECRET, in one line', async () => {
      const proc = spawnCollecting(process.execPath, ['main.js'], {
        cwd: dir,
        env: { PATH: process.env['PATH'], NODE_ENV: 'production', PORT: String(await freePort()) },
      });
      expect(await proc.exited).toBe(1);
      expect(proc.output().trim().split('\n')).toEqual([
        'Invalid environment:',
        '  - SIGNING_SECRET: required in production (32+ random characters, the same on every replica)',
      ]);
    });
  }

  if (taskQueue === undefined) {
    it('migrates the schema as a deploy step (`node migrate.js`), then exits; again: nothing to do', async () => {
      const env = {
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        CASSANDRA_CONTACT_POINTS: testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        CASSANDRA_KEYSPACE: `container_migrate_${Date.now().toString(36)}`,
      };
      for (let run = 0; run < 2; run++) {
        const migrate = spawnCollecting(process.execPath, ['migrate.js'], { cwd: dir, env });
        expect({ code: await migrate.exited, output: migrate.output() }).toEqual({
          code: 0,
          output: 'schema up to date (cassandra)\n',
        });
      }
      const refused = spawnCollecting(process.execPath, ['migrate.js'], {
        cwd: dir,
        env: { ...env, MIGRATE_TIMEOUT_MS: 'soon' },
      });
      expect(await refused.exited).toBe(1);
      expect(refused.output().trim().split('\n')).toEqual([
        'Invalid environment:',
        '  - MIGRATE_TIMEOUT_MS: milliseconds, at least 1000',
      ]);
    });
  }

  it('starts from there, becomes ready, and stops cleanly on SIGTERM', async () => {
    const temporalAddress = testEnv('INVINCIBLE_TEST_TEMPORAL_ADDRESS');
    const port = await freePort();
    const proc = spawnCollecting(process.execPath, ['main.js'], {
      cwd: dir,
      env: {
        PATH: process.env['PATH'],
        NODE_ENV: 'production',
        TEMPORAL_ADDRESS: temporalAddress,
        CASSANDRA_CONTACT_POINTS: testEnv('INVINCIBLE_TEST_CASSANDRA_CONTACT_POINTS'),
        PORT: String(port),
        API_KEYS: `container:${CONTAINER_KEY}`,
        SIGNING_SECRET: `container-signing-secret-${CONTAINER_KEY}`,
      },
    });
    try {
      if (taskQueue === undefined) {
        await waitFor(
          'GET /readyz → 200',
          async () =>
            (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
          60_000,
        );
        expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
        // The docs' assets and the OpenAPI generator are production dependencies.
        expect((await fetch(`http://127.0.0.1:${port}/docs/`)).status).toBe(200);
        expect((await fetch(`http://127.0.0.1:${port}/openapi.json`)).status).toBe(200);
        const authorized = await fetch(`http://127.0.0.1:${port}/v1/customers/nobody`, {
          headers: { authorization: `Bearer ${CONTAINER_KEY}` },
        });
        expect(authorized.status).toBe(404);
      } else {
        await waitFor(
          `a poller on ${taskQueue}`,
          () => taskQueueHasPollers(temporalAddress, 'default', taskQueue),
          60_000,
        );
        // Production mode loads the prebuilt bundle instead of running webpack at start-up.
        expect(proc.output()).toContain('"bundlePath"');
        expect(proc.output()).not.toContain('webpack');
      }
    } catch (error) {
      proc.child.kill('SIGKILL');
      throw new Error(`${String(error)}\n${proc.output()}`);
    }
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
    expect(proc.output()).toContain('stopped');
  });
});
