/**
 * What the test-server tasks (`tools:cassandra`, `tools:temporal`, …) and `tools:provision` leave
 * for the test runs: one "ready file" per server, written once it answers and removed when it
 * stops, and the paths provisioning resolved. Nx starts continuous tasks without waiting for
 * them; these files are how a test run learns that a server is up and where. Node built-ins only:
 * Jest's global setup loads this module before any workspace lib is resolvable.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';

/** The servers a test run can depend on, each an Nx continuous task of the tools project. */
export const TEST_SERVERS = ['cassandra', 'temporal', 'temporal-cassandra', 'data-api'] as const;
export type TestServerName = (typeof TEST_SERVERS)[number];

/**
 * Per checkout (two worktrees on one machine each run their own servers, on ports moved by the
 * *_TEST_PORT variables) and outside every project, so no Nx input hash sees it.
 */
export const TEST_STATE_DIR = join(REPO_ROOT, 'tmp', 'test-servers');

/** What a test-server task writes once its server answers. */
export interface ReadyFile {
  readonly name: TestServerName;
  /** The task's own process: the file is stale once it is gone. */
  readonly pid: number;
  /** host:port that answers while the server runs (checked again by the waiting side). */
  readonly address: string;
  /** The INVINCIBLE_TEST_* variables the suites read, e.g. INVINCIBLE_TEST_TEMPORAL_ADDRESS. */
  readonly env: Readonly<Record<string, string>>;
}

/** The log every test-server task also writes (its terminal output goes to Nx). */
export function testServerLog(name: TestServerName): string {
  return join(TEST_STATE_DIR, `${name}.log`);
}

function readyPath(name: TestServerName): string {
  return join(TEST_STATE_DIR, `${name}.ready.json`);
}

/** Written atomically (rename), so a reader never sees half a file. */
function writeJson(path: string, value: unknown): void {
  mkdirSync(TEST_STATE_DIR, { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value, null, 2));
  renameSync(tmp, path);
}

export function writeReadyFile(ready: ReadyFile): void {
  writeJson(readyPath(ready.name), ready);
}

/** Removes the file only if `pid` wrote it (a newer task may have replaced it). */
export function removeReadyFile(name: TestServerName, pid: number): void {
  const current = readReadyFile(name);
  if (current?.pid === pid) rmSync(readyPath(name), { force: true });
}

function pidPath(name: TestServerName): string {
  return join(TEST_STATE_DIR, `${name}.pid`);
}

/**
 * The task's pid, from its start until it has stopped its server (the ready file goes when
 * stopping begins): Nx exits once it has signalled its continuous tasks, not once they are gone,
 * so `npm test` waits on these before it reports, and a next run never meets a JVM still stopping.
 */
export function writeTaskPid(name: TestServerName, pid: number): void {
  mkdirSync(TEST_STATE_DIR, { recursive: true });
  writeFileSync(pidPath(name), String(pid));
}

/** Removes the pid file only if `pid` wrote it (a newer task may have replaced it). */
export function removeTaskPid(name: TestServerName, pid: number): void {
  if (readTaskPid(name) === pid) rmSync(pidPath(name), { force: true });
}

export function readTaskPid(name: TestServerName): number | undefined {
  try {
    const pid = Number(readFileSync(pidPath(name), 'utf8'));
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function readReadyFile(name: TestServerName): ReadyFile | undefined {
  try {
    return JSON.parse(readFileSync(readyPath(name), 'utf8')) as ReadyFile;
  } catch {
    return undefined;
  }
}

/**
 * The tools `tools:provision` resolved (variable, PATH or cache), by the variable each suite
 * reads: TEMPORAL_TEST_SERVER_PATH, TEMPORAL_CLI_PATH, HELM_PATH, INVINCIBLE_TEST_SCHEMATHESIS_PYTHON.
 */
export type ProvisionedTools = Readonly<Record<string, string>>;

const PROVISIONED = join(TEST_STATE_DIR, 'provisioned.json');

export function writeProvisionedTools(tools: ProvisionedTools): void {
  writeJson(PROVISIONED, tools);
}

/** Undefined when `tools:provision` never ran in this checkout. */
export function readProvisionedTools(): ProvisionedTools | undefined {
  if (!existsSync(PROVISIONED)) return undefined;
  return JSON.parse(readFileSync(PROVISIONED, 'utf8')) as ProvisionedTools;
}
