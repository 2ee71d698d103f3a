import { execFileSync, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * The generators end to end: in a copy of the workspace, generate a domain and a service, then
 * lint, typecheck, test and build them and the libs they touched, as a developer would right
 * after `nx g`. The copy's node_modules links the real one's packages, except @invincible, whose
 * links point into the copy (so the generated projects resolve, and nothing here is touched).
 */

const ROOT = join(__dirname, '..', '..', '..', '..');

/**
 * The Temporal test server the generated worker's tests need: TEMPORAL_TEST_SERVER_PATH, or the
 * one `npm start` / `npm test` provisioned into the cache (tools/src/paths.ts's cache dir).
 */
function findTestServer(env: NodeJS.ProcessEnv): string | undefined {
  const given = env['TEMPORAL_TEST_SERVER_PATH'];
  if (given) return given;
  const cache =
    env['INVINCIBLE_CACHE_DIR'] ||
    join(env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache'), 'invincible');
  const dir = join(cache, 'temporal-test-server');
  if (!existsSync(dir)) return undefined;
  const newest = readdirSync(dir)
    .filter((name) => name.startsWith('temporal-test-server-'))
    .map((name) => join(dir, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return newest[0];
}

/** apps/*, libs/* and tools: the root package.json's workspaces, as directories of `root`. */
function workspacePackages(root: string): { dir: string; name: string }[] {
  const dirs = [
    ...['apps', 'libs'].flatMap((parent) =>
      readdirSync(join(root, parent)).map((child) => join(parent, child)),
    ),
    'tools',
  ];
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => ({
      dir,
      name: (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf-8')) as { name: string })
        .name,
    }));
}

/** The workspace's files as git sees them: tracked, and untracked but not ignored. */
function copyWorkspace(to: string): void {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: ROOT,
    encoding: 'utf-8',
  })
    .split('\0')
    .filter((file) => file && existsSync(join(ROOT, file)));
  for (const file of files) {
    mkdirSync(dirname(join(to, file)), { recursive: true });
    cpSync(join(ROOT, file), join(to, file), { verbatimSymlinks: true });
  }
}

/**
 * node_modules for the copy: a link per entry of the real one (scopes whole), the nested
 * node_modules of packages that have their own, and @invincible/* linked to the copy's packages.
 */
function linkNodeModules(copy: string): void {
  const modules = join(copy, 'node_modules');
  mkdirSync(join(modules, '@invincible'), { recursive: true });
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    // Caches (node_modules/.cache) stay the copy's own.
    if (entry === '@invincible' || entry === '.cache') continue;
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry));
  }
  for (const { dir } of workspacePackages(ROOT)) {
    const nested = join(ROOT, dir, 'node_modules');
    if (existsSync(nested)) symlinkSync(nested, join(copy, dir, 'node_modules'));
  }
  linkWorkspacePackages(copy);
}

/** What `npm install` does for a new workspace package: node_modules/@invincible/<name>. */
function linkWorkspacePackages(copy: string): void {
  for (const { dir, name } of workspacePackages(copy)) {
    const link = join(copy, 'node_modules', name);
    if (name.startsWith('@invincible/') && !existsSync(link)) symlinkSync(join(copy, dir), link);
  }
}

interface Run {
  readonly status: number | null;
  readonly output: string;
  readonly seconds: number;
}

/** Runs `command` in the copy, output captured (stdout and stderr interleaved). */
function run(cwd: string, command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) =>
      resolve({ status, output, seconds: Math.round((Date.now() - started) / 1000) }),
    );
  });
}

/** The end of a long output, enough to show which task failed and why. */
const tail = (run: Run, lines = 120) => run.output.split('\n').slice(-lines).join('\n');

const testServer = findTestServer(process.env);
const SKIPPED =
  'SKIPPED: no Temporal test server (set TEMPORAL_TEST_SERVER_PATH, or run `npm test` once to provision it)';
// Jest does not print a skipped test's name: say why here.
if (!testServer) console.warn(`generators.int.test.ts ${SKIPPED}`);

describe('the generators, in a copy of the workspace', () => {
  let copy: string;
  /** Until the test passes: a failed copy is kept to look into. */
  let keep = true;

  afterAll(() => {
    if (!copy) return;
    if (keep) console.log(`the failed copy is kept in ${copy}`);
    else rmSync(copy, { recursive: true, force: true });
  });

  (testServer ? it : it.skip)(
    testServer ? 'a generated domain and service pass lint, typecheck, test and build' : SKIPPED,
    async () => {
      const started = Date.now();
      copy = mkdtempSync(join(tmpdir(), 'invincible-generators-'));
      copyWorkspace(copy);
      linkNodeModules(copy);
      // The parent's Nx and Jest settings (a task's project, a worker id) are not the child's.
      const inherited = Object.fromEntries(
        Object.entries(process.env).filter(([key]) => !/^(NX_|JEST_)/.test(key)),
      );
      const env: NodeJS.ProcessEnv = {
        ...inherited,
        NX_DAEMON: 'false',
        NX_NO_CLOUD: 'true',
        NX_TUI: 'false',
        NX_CACHE_DIRECTORY: join(copy, '.nx', 'cache'),
        NX_WORKSPACE_DATA_DIRECTORY: join(copy, '.nx', 'workspace-data'),
        TEMPORAL_TEST_SERVER_PATH: testServer,
        FORCE_COLOR: '0',
      };
      // The nx the workspace pins, by its package's bin (what `npx nx` runs).
      const nxPackage = join(copy, 'node_modules', 'nx');
      const { bin } = JSON.parse(readFileSync(join(nxPackage, 'package.json'), 'utf-8')) as {
        bin: Record<string, string>;
      };
      const nx = (...args: string[]) =>
        run(copy, process.execPath, [join(nxPackage, bin['nx'] ?? 'bin/nx.js'), ...args], env);
      const expectOk = (step: string, result: Run) => {
        console.log(`${step}: exit ${result.status} in ${result.seconds} s`);
        if (result.status !== 0) {
          throw new Error(`${step} failed (exit ${result.status}):\n${tail(result)}`);
        }
      };

      // --skip-install: in this copy, `npm install --offline` works from the cache but would add
      // some 140 real packages (it does not take the linked entries as installed), some of them
      // inside linked scope folders, that is inside the real node_modules.
      expectOk(
        'nx g domain shipping',
        await nx(
          'g',
          '@invincible/nx-plugin:domain',
          'shipping',
          '--no-interactive',
          '--skip-install',
        ),
      );
      expectOk(
        'nx g service partner-gateway',
        await nx(
          'g',
          '@invincible/nx-plugin:service',
          'partner-gateway',
          '--no-interactive',
          '--skip-install',
        ),
      );
      // What the generators' npm install does, without touching node_modules: the lockfile
      // learns the new workspace packages (prune-lockfile reads it), and they are linked.
      expectOk(
        'npm install --package-lock-only --offline',
        await run(
          copy,
          'npm',
          ['install', '--package-lock-only', '--offline', '--no-audit', '--no-fund'],
          env,
        ),
      );
      linkWorkspacePackages(copy);
      // The generators leave the workspace in sync (tsconfig references and all): outside CI Nx
      // would refuse every task until `nx sync` ran, and npm test checks it in CI too.
      expectOk('nx sync:check', await nx('sync:check'));
      const checks = await nx(
        'run-many',
        '-t',
        'lint',
        'typecheck',
        'test',
        'build',
        '-p',
        'shipping-worker',
        'partner-gateway',
        'workflows',
        'activities',
        '--skip-sync',
        '--output-style=static',
      );
      expectOk('nx run-many -t lint typecheck test build', checks);
      // The worker's time-skipping suite is its int-test (Temporal's Java test server).
      const intTest = await nx(
        'run',
        'shipping-worker:int-test',
        '--skip-sync',
        '--output-style=static',
      );
      expectOk('nx run shipping-worker:int-test', intTest);
      // The generated suites ran: the unit ones in `test`, the time-skipping one in `int-test`.
      for (const [suite, run] of [
        ['shipping.int.test.ts', intTest],
        ['replay.test.ts', checks],
        ['app.test.ts', checks],
      ] as const) {
        expect(run.output).toMatch(new RegExp(`PASS .*src/${suite.replace(/\./g, '\\.')}`));
      }
      console.log(`the whole check took ${Math.round((Date.now() - started) / 1000)} s`);
      keep = false;
    },
    15 * 60_000,
  );
});
