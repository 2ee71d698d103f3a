import type { ResultPromise } from 'execa';
import { StartupError } from './errors';
import { loadExeca } from './execa';
import { formatDuration, pipeWithPrefix, type Logger } from './log';
import { assertPortFree } from './ports';
import type { ProcessSpec } from './servers/process-spec';

const SPAWN_OPTIONS = {
  detached: true,
  stdin: 'ignore',
  stdout: 'pipe',
  stderr: 'pipe',
  reject: false,
  cleanup: true,
  forceKillAfterDelay: false,
} as const;

interface Running {
  readonly spec: ProcessSpec;
  readonly child: ResultPromise<typeof SPAWN_OPTIONS>;
  readonly pid: number;
  readonly tail: string[];
  stopping: boolean;
  exited: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts long-lived processes in order, each in its own process group so that Ctrl-C reaches
 * the supervisor only and shutdown happens in reverse start order (apps before the servers they
 * use). Stopping sends SIGTERM to the whole group, then SIGKILL after the process's grace period,
 * so no grandchild outlives the stack.
 */
export class Supervisor {
  private readonly running: Running[] = [];
  private failure: ((error: Error) => void) | undefined;
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly out: NodeJS.WritableStream = process.stderr,
  ) {}

  /** Spawns `spec` and waits until its readiness check passes. */
  async start(spec: ProcessSpec): Promise<number> {
    for (const { port, role, variable } of spec.ports ?? []) {
      await assertPortFree(port, role, variable);
    }
    if (spec.prepare) await spec.prepare();
    const started = Date.now();
    const { execa } = await loadExeca();
    const child = execa(spec.command, spec.args, {
      ...SPAWN_OPTIONS,
      ...(spec.env ? { env: spec.env } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    }) as ResultPromise<typeof SPAWN_OPTIONS>;
    if (child.pid === undefined) {
      await child;
      throw new StartupError(spec.name, `could not be spawned (${spec.command})`);
    }
    const entry: Running = {
      spec,
      child,
      pid: child.pid,
      tail: [],
      stopping: false,
      exited: false,
    };
    this.running.push(entry);
    pipeWithPrefix(spec.name, child.stdout, this.out, entry.tail, spec.quiet);
    pipeWithPrefix(spec.name, child.stderr, this.out, entry.tail, spec.quiet);
    this.log.info(`started ${spec.name} (pid ${entry.pid})`);

    void child.then((result) => {
      entry.exited = true;
      if (!entry.stopping) {
        const how = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
        this.failure?.(new StartupError(spec.name, `exited unexpectedly (${how})`, entry.tail));
      }
    });

    if (spec.ready) await this.waitReady(entry, spec.ready, started);
    return entry.pid;
  }

  private async waitReady(
    entry: Running,
    ready: NonNullable<ProcessSpec['ready']>,
    started: number,
  ): Promise<void> {
    let lastProgress = Date.now();
    for (;;) {
      if (entry.exited) {
        throw new StartupError(entry.spec.name, 'exited before it became ready', entry.tail);
      }
      if (await ready.check()) break;
      const elapsed = Date.now() - started;
      if (elapsed > ready.timeoutMs) {
        throw new StartupError(
          entry.spec.name,
          `not ready after ${formatDuration(elapsed)} (${ready.description})`,
          entry.tail,
        );
      }
      if (Date.now() - lastProgress >= 5_000) {
        lastProgress = Date.now();
        this.log.info(
          `waiting for ${entry.spec.name}: ${ready.description}… ${formatDuration(elapsed)}`,
        );
      }
      await sleep(ready.intervalMs ?? 500);
    }
    this.log.info(`${entry.spec.name} ready in ${formatDuration(Date.now() - started)}`);
  }

  /** Resolves never; rejects as soon as a supervised process dies on its own. */
  watch(): Promise<never> {
    return new Promise((_, reject) => {
      this.failure = reject;
    });
  }

  /** Stops everything, last started first. Safe to call more than once. */
  stopAll(): Promise<void> {
    this.shuttingDown ??= (async () => {
      for (const entry of [...this.running].reverse()) await this.stop(entry);
      this.running.length = 0;
    })();
    return this.shuttingDown;
  }

  private async stop(entry: Running): Promise<void> {
    entry.stopping = true;
    if (entry.exited) return;
    const grace = entry.spec.stopTimeoutMs ?? 10_000;
    this.log.info(`stopping ${entry.spec.name} (pid ${entry.pid})`);
    signalGroup(entry.pid, 'SIGTERM');
    const deadline = Date.now() + grace;
    while (!entry.exited && Date.now() < deadline) await sleep(100);
    if (!entry.exited) {
      this.log.warn(`${entry.spec.name} did not stop within ${formatDuration(grace)}: SIGKILL`);
      signalGroup(entry.pid, 'SIGKILL');
      await entry.child.catch(() => undefined);
    }
    // Anything the process left in its group (a grandchild) goes too.
    signalGroup(entry.pid, 'SIGKILL');
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
