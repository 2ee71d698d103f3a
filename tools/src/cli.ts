/**
 * The local stack: `start` (servers + apps, foreground until Ctrl-C), `up` (servers only),
 * `test` (ephemeral servers around `nx run-many`), `provision` (fill the cache only).
 * Run through npm scripts: `npm start`, `npm test`, `npm run stack -- <command>`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pc from 'picocolors';
import { devApp, STACK_APPS } from './apps';
import { loadStackConfig, testStackConfig, type StackConfig } from './config';
import { startCodecGateway } from './codec-gateway';
import { devAdminKey, devApiKey, devPayloadCodecKeys, devSigningSecret } from './dev-api-key';
import { ProvisionError, StackError, StartupError } from './errors';
import { loadExeca } from './execa';
import { createLogger, formatDuration } from './log';
import { REPO_ROOT } from './paths';
import { cachedTemporalServerPaths } from './provision/temporal-server';
import { isExecutable, which } from './provision/which';
import {
  endpoints,
  jaegerSpec,
  provision,
  serverOf,
  serverSpecs,
  type Endpoints,
  type ServerName,
} from './stack';
import { Supervisor, type RestartPolicy } from './supervisor';
import { serveTestServer } from './test-servers/serve';
import { TEST_SERVERS, writeProvisionedTools, type TestServerName } from './test-servers/state';
import { waitForServerTasksToStop } from './test-servers/wait-for-servers';

/**
 * A process of the stack that dies on its own is reported and restarted (1 s, 2 s, 4 s … 30 s;
 * the backoff starts over once it stayed up 30 s), as an orchestrator would; the rest keeps
 * running. Ctrl-C still stops everything.
 */
const RESTART: RestartPolicy = { initialMs: 1_000, maxMs: 30_000, resetAfterMs: 30_000 };

const log = createLogger();

async function main(argv: readonly string[]): Promise<number> {
  const [command = 'help', ...rest] = argv;
  // `test` hands everything after it to `nx run-many` untouched.
  if (command === 'test') return test(rest);
  // The console's browser suite in full (a phone's width, the overview, every page's
  // screenshot in test-artifacts/console/): `npm test` runs its main path only.
  if (command === 'test-console') {
    process.env['INVINCIBLE_CONSOLE_E2E'] = 'full';
    return test(['-t', 'e2e', '-p', 'api-e2e', '--', '--testPathPatterns', 'console', ...rest]);
  }
  // One test server in the foreground (the Nx continuous tasks tools:cassandra, tools:temporal…).
  if (command === 'serve-test') {
    const [server] = rest;
    if (!TEST_SERVERS.includes(server as TestServerName)) {
      throw new StackErrorUsage(`serve-test takes one of ${TEST_SERVERS.join(', ')}`);
    }
    return serveTestServer(server as TestServerName, process.env);
  }
  // What every test run needs from the cache (the Nx task tools:provision).
  if (command === 'provision-test') return provisionTest();
  const { values } = parseArgs({
    args: rest,
    strict: true,
    options: {
      only: { type: 'string' },
      traces: { type: 'boolean' },
      'cassandra-nodes': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  // `--traces` is INVINCIBLE_TRACES=true for this run, `--cassandra-nodes N` CASSANDRA_NODES=N.
  const env = {
    ...process.env,
    ...(values.traces ? { INVINCIBLE_TRACES: 'true' } : {}),
    ...(values['cassandra-nodes'] !== undefined
      ? { CASSANDRA_NODES: values['cassandra-nodes'] }
      : {}),
  };
  switch (command) {
    case 'start':
      return start(loadStackConfig(env), parseOnly(values.only));
    case 'up':
      return start(loadStackConfig(env), parseOnly(values.only), { apps: false });
    case 'test-traces-viewer':
      return testTracesViewer();
    case 'provision': {
      const config = loadStackConfig(env);
      await provision(
        config,
        {
          temporal: true,
          cassandra: true,
          testServer: true,
          temporalServer: { ui: true },
          schemathesis: true,
          jaeger: config.traces.enabled,
          helm: true,
        },
        process.env,
        log,
      );
      return 0;
    }
    default:
      process.stdout.write(
        [
          'usage: npm run stack -- <command>',
          '  start [--only temporal,cassandra] [--traces]  servers, then api and both workers; Ctrl-C stops all',
          '  up    [--only temporal,cassandra] [--traces]  servers only',
          '  test  [nx run-many args…]                     lint, typecheck, build, test, int-test, e2e (servers as Nx tasks)',
          '  provision-test                                what the tests need (tools:provision)',
          '  serve-test <server>                           one test server: cassandra, temporal, temporal-cassandra, data-api',
          '  test-console                                  the console in a browser, in full (npm run test:console)',
          '  provision [--traces]                          build/resolve Temporal CLI and server, Cassandra, test server, schemathesis, Helm (and Jaeger)',
          '',
          '  --traces (or INVINCIBLE_TRACES=1): Jaeger beside the stack, every app sending it its traces',
          '  --cassandra-nodes N (or CASSANDRA_NODES=N): a local Cassandra cluster, node K on 127.0.0.K,',
          '    keyspaces replicated to min(N, 3) nodes (CASSANDRA_HEAP is per node)',
          '',
        ].join('\n'),
      );
      return command === 'help' || values.help ? 0 : 2;
  }
}

function parseOnly(only: string | undefined): ReadonlySet<ServerName> {
  const all: ServerName[] = ['temporal', 'cassandra'];
  if (!only) return new Set(all);
  const names = only.split(',').map((s) => s.trim());
  const bad = names.filter((n) => !all.includes(n as ServerName));
  if (bad.length > 0)
    throw new StackErrorUsage(`--only takes ${all.join(', ')}; not ${bad.join(', ')}`);
  return new Set(names as ServerName[]);
}

class StackErrorUsage extends StackError {
  override readonly name = 'UsageError';
}

async function start(
  config: StackConfig,
  only: ReadonlySet<ServerName>,
  options = { apps: true },
): Promise<number> {
  const t0 = Date.now();
  const t = config.temporal;
  // Temporal on the local Cassandra cannot start without it.
  const needsLocalCassandra =
    only.has('temporal') &&
    t.mode === 'local' &&
    t.persistence.kind === 'cassandra' &&
    t.persistence.cassandra.via === 'local';
  if (needsLocalCassandra && !only.has('cassandra')) {
    log.info('TEMPORAL_PERSISTENCE=cassandra: starting the local Cassandra for Temporal too');
  }
  const servers = new Set<ServerName>(needsLocalCassandra ? [...only, 'cassandra'] : only);
  const wanted = {
    temporal: servers.has('temporal'),
    cassandra: servers.has('cassandra'),
    testServer: false,
    jaeger: config.traces.enabled,
  };
  const provisioned = await provision(config, wanted, process.env, log);
  mkdirSync(config.dataDir, { recursive: true });
  const where = endpoints(config);
  // API_KEYS from the environment, or a development key made once and kept with the data.
  const apiKey = process.env['API_KEYS'] ? undefined : devApiKey(config.dataDir);
  // Likewise an admin key (tenants, keys, reconciliation) and the signing secret.
  const adminKey = process.env['ADMIN_API_KEYS'] ? undefined : devAdminKey(config.dataDir);
  // Payloads are encrypted locally too, with a key kept with the data (or the one given).
  const codecKeys =
    process.env['PAYLOAD_CODEC_KEYS'] || process.env['PAYLOAD_CODEC_KEYS_FILE']
      ? {}
      : { PAYLOAD_CODEC_KEYS: devPayloadCodecKeys(config.dataDir) };
  // The operator console, served by the API under /console: CONSOLE_DIR when set (empty: none),
  // else built here (a cache hit unless it changed).
  const givenConsole = process.env['CONSOLE_DIR'];
  const consoleDir = !options.apps
    ? undefined
    : givenConsole !== undefined
      ? givenConsole || undefined
      : await buildConsole();
  const appsEnv = {
    ...process.env,
    ...(consoleDir
      ? {
          CONSOLE_DIR: consoleDir,
          ...(where.temporalUiUrl ? { CONSOLE_TEMPORAL_UI_URL: where.temporalUiUrl } : {}),
          // The sign-in page offers the development key; never a key given in API_KEYS.
          ...(apiKey ? { CONSOLE_DEV_API_KEY: apiKey } : {}),
        }
      : {}),
    ...(apiKey ? { API_KEYS: `dev:${apiKey}` } : {}),
    ...(adminKey ? { ADMIN_API_KEYS: `admin:${adminKey}` } : {}),
    SIGNING_SECRET: process.env['SIGNING_SECRET'] ?? devSigningSecret(config.dataDir),
    ...codecKeys,
  };
  // The local Web UI shows payloads decrypted through the codec gateway (it holds the admin key).
  const gatewayKey = adminKey ?? /^[^:,]+:([^,]+)/.exec(process.env['ADMIN_API_KEYS'] ?? '')?.[1];
  const gateway =
    options.apps && where.temporalUiUrl && gatewayKey
      ? await startCodecGateway({
          port: 0,
          apiUrl: `http://127.0.0.1:${config.apiPort}`,
          adminKey: gatewayKey,
          uiOrigin: where.temporalUiUrl,
        })
      : undefined;
  const specs = serverSpecs(config, provisioned, {
    ephemeral: false,
    dataDir: config.dataDir,
    env: process.env,
    log,
    codecEndpoint: gateway?.url,
  }).filter((s) => servers.has(serverOf(s)));
  // First, so that it receives the apps' first spans; stopped last, after they flushed.
  const jaeger = jaegerSpec(config, provisioned, config.dataDir);
  if (jaeger) specs.unshift(jaeger);
  const supervisor = new Supervisor(log, process.stderr, { restart: RESTART });
  return runSupervised(supervisor, async () => {
    for (const spec of specs) await supervisor.start(spec);
    if (options.apps) {
      for (const app of STACK_APPS)
        await supervisor.start(devApp(app, where, appsEnv, config.apiPort));
    }
    printBanner(
      where,
      options.apps ? { port: config.apiPort, apiKey, adminKey, console: !!consoleDir } : undefined,
      Date.now() - t0,
    );
    await supervisor.watch();
  });
}

/**
 * `nx run console:build` (a cache hit unless the console changed): the directory the API serves
 * under /console, or undefined — with the reason logged — if the build failed: the stack still
 * starts, without the console.
 */
async function buildConsole(): Promise<string | undefined> {
  const { execa } = await loadExeca();
  const t0 = Date.now();
  const build = await execa(
    join(REPO_ROOT, 'node_modules', '.bin', 'nx'),
    ['run', 'console:build', '--output-style=stream-without-prefixes'],
    { cwd: REPO_ROOT, reject: false, all: true, env: { NX_TUI: 'false' } },
  );
  if (build.exitCode !== 0) {
    log.warn(`the console did not build; starting without it:\n${build.all.slice(-2_000)}`);
    return undefined;
  }
  log.info(`console built in ${formatDuration(Date.now() - t0)}`);
  return join(REPO_ROOT, 'dist', 'apps', 'console');
}

function printBanner(
  where: Endpoints,
  api:
    | {
        readonly port: number;
        readonly apiKey: string | undefined;
        readonly adminKey: string | undefined;
        readonly console: boolean;
      }
    | undefined,
  elapsedMs: number,
): void {
  const lines = [
    '',
    pc.bold(`Invincible is up (${formatDuration(elapsedMs)}). Ctrl-C stops everything.`),
    ...(api
      ? [
          `  API            http://127.0.0.1:${api.port}/v1   docs http://127.0.0.1:${api.port}/docs`,
          ...(api.console ? [`  Console        http://127.0.0.1:${api.port}/console/`] : []),
          api.apiKey
            ? `  API key        ${api.apiKey}   (Authorization: Bearer …; development only)`
            : '  API key        one of API_KEYS',
          ...(api.adminKey
            ? [`  Admin key      ${api.adminKey}   (tenants and keys: /v1/admin, npm run keys)`]
            : []),
        ]
      : []),
    ...(where.temporalUiUrl ? [`  Temporal UI    ${where.temporalUiUrl}`] : []),
    ...(where.traces
      ? [
          `  Traces         ${where.traces.uiUrl}   (Jaeger; OTLP/HTTP ${where.traces.otlpHttpEndpoint})`,
        ]
      : []),
    `  Temporal       ${where.temporalAddress}  namespace ${where.temporalNamespace}`,
    `  Cassandra      ${where.cassandraContactPoints ?? 'not used (Astra DB Data API)'}`,
    '',
  ];
  process.stderr.write(lines.join('\n') + '\n');
}

/**
 * Runs `body` under the supervisor: SIGINT/SIGTERM or an error (a process that cannot start)
 * end in stopping every started process (last started first) before the CLI exits; a process
 * that dies later is restarted by the supervisor.
 */
async function runSupervised(
  supervisor: Supervisor,
  body: () => Promise<void>,
  onStop?: () => void,
): Promise<number> {
  let signalled: NodeJS.Signals | undefined;
  const stopOnSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    log.info(`${signal}: stopping`);
    void supervisor.stopAll().then(() => {
      onStop?.();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  try {
    await body();
    return 0;
  } catch (error) {
    if (signalled) return new Promise<number>(() => undefined); // the signal handler exits
    reportError(error);
    await supervisor.stopAll();
    onStop?.();
    return 1;
  }
}

/**
 * `npm run test:traces-viewer`: the local trace viewer's suite (tools/src/jaeger.viewer-test.ts),
 * apart from `npm test` because its first run builds Jaeger from its Go module (about 5 min on an
 * idle 2-core machine, more when busy) and fetches the Jaeger UI with Cargo. Provisions both, then
 * runs the suite with JAEGER_PATH and INVINCIBLE_TEST_JAEGER_UI_DIR.
 */
async function testTracesViewer(): Promise<number> {
  const config = loadStackConfig({ ...process.env, INVINCIBLE_TRACES: 'true' });
  const provisioned = await provision(
    config,
    { temporal: false, cassandra: false, testServer: false, jaeger: true },
    process.env,
    log,
  );
  if (!provisioned.jaeger) throw new ProvisionError('Jaeger was not provisioned');
  const { execa } = await loadExeca();
  const jest = await execa(
    join(REPO_ROOT, 'node_modules', '.bin', 'jest'),
    [
      '--config',
      join(REPO_ROOT, 'tools', 'jest.config.cjs'),
      '--testMatch',
      '<rootDir>/src/jaeger.viewer-test.ts',
      // Not the summary reporter: its file is the unit tests' cached result.
      '--reporters',
      'default',
    ],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
      reject: false,
      env: {
        ...process.env,
        JAEGER_PATH: provisioned.jaeger.binary,
        INVINCIBLE_TEST_JAEGER_UI_DIR: provisioned.jaeger.uiAssets,
      },
    },
  );
  return jest.exitCode ?? 1;
}

/**
 * `tools:provision`: everything the test servers and suites need, built or found in the cache,
 * and the paths recorded for the suites (test-servers/state.ts) — so a test run started by Nx
 * alone, or by Jest from an editor, finds the tools without variables.
 */
async function provisionTest(): Promise<number> {
  const t0 = Date.now();
  const env = process.env;
  const config = testStackConfig(env);
  // The suites that run on Temporal-on-Cassandra too need its server, built with Go; without Go
  // (and nothing cached) tools:temporal-cassandra fails, and so do the suites that need it.
  const canBuildServer =
    which('go', env['PATH']) !== undefined ||
    isExecutable(cachedTemporalServerPaths(config.cacheDir).server);
  if (!canBuildServer) {
    log.warn(
      'Go was not found: no Temporal-on-Cassandra test server; the suites that need it fail',
    );
  }
  const provisioned = await provision(
    config,
    {
      temporal: true,
      cassandra: true,
      testServer: true,
      // The API fuzz suite runs schemathesis against /openapi.json.
      schemathesis: true,
      // With the UI server: the durability suite starts a whole `up` on Temporal-on-Cassandra.
      ...(canBuildServer ? { temporalServer: { ui: true } } : {}),
      // The deployment chart's test renders with it (built once, about 2 minutes).
      helm: true,
    },
    env,
    log,
  );
  writeProvisionedTools({
    ...(provisioned.testServer ? { TEMPORAL_TEST_SERVER_PATH: provisioned.testServer } : {}),
    ...(provisioned.schemathesis
      ? { INVINCIBLE_TEST_SCHEMATHESIS_PYTHON: provisioned.schemathesis }
      : {}),
    ...(provisioned.temporalCli ? { TEMPORAL_CLI_PATH: provisioned.temporalCli } : {}),
    ...(provisioned.helm ? { HELM_PATH: provisioned.helm } : {}),
  });
  log.info(`provisioned in ${formatDuration(Date.now() - t0)}`);
  return 0;
}

/** Where every Jest run's counts land (tools/jest/summary-reporter.cjs): Nx caches them. */
const TEST_RESULTS_DIR = join(REPO_ROOT, 'dist', 'test-results');

/**
 * `npm test`: one `nx run-many` over every target, the test servers included — they are Nx
 * continuous tasks of the tools project (tools:cassandra, tools:temporal,
 * tools:temporal-cassandra, tools:data-api) that the int-test and e2e targets depend on, so Nx
 * starts each once for the run, after tools:provision, and stops them when it ends. Closes with
 * one line over every Jest run, cached ones included (their counts are restored as outputs).
 */
async function test(nxArgs: readonly string[]): Promise<number> {
  const t0 = Date.now();
  const env = process.env;
  // Only this run's counts: Nx restores the cached runs' files, the others are written anew.
  rmSync(TEST_RESULTS_DIR, { recursive: true, force: true });
  const args =
    nxArgs.length > 0
      ? [...nxArgs]
      : ['-t', 'lint', 'typecheck', 'build', 'test', 'int-test', 'e2e'];
  // Nx keeps its cache per workspace in the home directory, shared by every clone: CI must
  // really lint, build and test the commit in front of it.
  if (env['CI'] && !args.includes('--skip-nx-cache')) args.push('--skip-nx-cache');
  const { execa } = await loadExeca();
  // Outside CI Nx itself refuses to run tasks while the workspace is out of sync (a project
  // missing from tsconfig.json's references, say); in CI it would go on, so a commit that forgot
  // `nx sync` passed CI and failed the next developer's `npm test`. CI checks it here.
  if (env['CI']) {
    const sync = await execa(join(REPO_ROOT, 'node_modules', '.bin', 'nx'), ['sync:check'], {
      cwd: REPO_ROOT,
      env,
      stdio: 'inherit',
      reject: false,
    });
    if (sync.exitCode !== 0) {
      log.error('the workspace is out of sync: run `npx nx sync` and commit what it changes');
      return sync.exitCode ?? 1;
    }
  }
  const nx = await execa(join(REPO_ROOT, 'node_modules', '.bin', 'nx'), ['run-many', ...args], {
    cwd: REPO_ROOT,
    env: { ...env, FORCE_COLOR: env['FORCE_COLOR'] ?? (process.stdout.isTTY ? '1' : '0') },
    stdio: 'inherit',
    reject: false,
  });
  const exitCode = nx.exitCode ?? 1;
  // Nx has signalled the server tasks, not waited for them: report once they are gone, so that
  // the next run (or CI's next step) never meets a JVM still stopping on the test ports.
  const stillRunning = await waitForServerTasksToStop();
  if (stillRunning.length > 0) {
    log.warn(`still stopping after 60 s: ${stillRunning.join(', ')} (tmp/test-servers/*.pid)`);
  }
  const totals = summarize(TEST_RESULTS_DIR);
  log.info(`tests ${exitCode === 0 ? 'passed' : 'FAILED'} in ${formatDuration(Date.now() - t0)}`);
  // One plain closing line over every project (what CI reads), after the servers stopped.
  process.stdout.write(
    `tests: ${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped\n`,
  );
  return exitCode;
}

/** Sums the counts the Jest summary reporter (tools/jest) wrote for each project's run. */
function summarize(dir: string): { passed: number; failed: number; skipped: number } {
  const totals = { passed: 0, failed: 0, skipped: 0 };
  if (!existsSync(dir)) return totals;
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const file = join(dir, entry);
    if (!entry.endsWith('.json') || !statSync(file).isFile()) continue;
    const run = JSON.parse(readFileSync(file, 'utf8')) as {
      passed: number;
      failed: number;
      skipped: number;
      brokenSuites: number;
    };
    totals.passed += run.passed;
    totals.failed += run.failed + run.brokenSuites;
    totals.skipped += run.skipped;
  }
  return totals;
}

function reportError(error: unknown): void {
  if (error instanceof StartupError && error.lastLines.length > 0) {
    log.error(`last lines of ${error.process}:`);
    for (const line of error.lastLines.slice(-15)) log.error(`  ${line}`);
  }
  if (error instanceof StackError || (error instanceof Error && error.name === 'ConfigError')) {
    log.error(error.message);
  } else {
    log.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    reportError(error);
    process.exit(1);
  },
);
