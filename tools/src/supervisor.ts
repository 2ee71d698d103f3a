import { EventEmitter } from 'node:events';
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

type Child = ResultPromise<typeof SPAWN_OPTIONS>;

interface Running {
  readonly spec: ProcessSpec;
  child: Child;
  pid: number;
  tail: string[];
  /** When the current child was spawned. */
  startedAt: number;
  /** Restarts since the process last stayed up `resetAfterMs`; sets the next delay. */
  attempt: number;
  /** True once `start` returned: only then does a death lead to a restart. */
  started: boolean;
  stopping: boolean;
  exited: boolean;
  /** Set while a restart is pending or under way; `stop` waits for it. */
  restarting?: Promise<void>;
  /** Ends a pending restart delay at once (Ctrl-C). */
  wake?: () => void;
}

/**
 * Restart a supervised process that dies on its own, with exponential backoff: `initialMs`,
 * then twice as long each time, capped at `maxMs`; the delay starts over once the process has
 * stayed up `resetAfterMs`.
 */
export interface RestartPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
  /** Default 30 s. */
  readonly resetAfterMs?: number;
}

export interface SupervisorOptions {
  /** Without it (the default) a death rejects `watch()`, and the caller stops everything. */
  readonly restart?: RestartPolicy;
}

/** A supervised process ended on its own (not by `stop`/`stopAll`). */
export interface ExitEvent {
  readonly name: string;
  readonly pid: number;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  /** How long it had been up, in ms. */
  readonly upMs: number;
  /** Its last output lines (up to 30). */
  readonly lastLines: readonly string[];
}

/** A process is about to be spawned again after `delayMs`. */
export interface RestartEvent {
  readonly name: string;
  /** 1 for the first restart since it last stayed up. */
  readonly attempt: number;
  readonly delayMs: number;
}

/** A process passed its readiness check (the first start and every restart). */
export interface ReadyEvent {
  readonly name: string;
  readonly pid: number;
  /** From its spawn to ready, in ms. */
  readonly afterMs: number;
  /** False the first time, true after a restart. */
  readonly restarted: boolean;
}

interface SupervisorEvents {
  exit: [ExitEvent];
  restart: [RestartEvent];
  ready: [ReadyEvent];
}

/** The delay before restart number `attempt` (1-based) under `policy`. */
export function restartDelay(policy: RestartPolicy, attempt: number): number {
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.max(0, attempt - 1));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts long-lived processes in order, each in its own process group so that Ctrl-C reaches
 * the supervisor only and shutdown happens in reverse start order (apps before the servers they
 * use). Stopping sends SIGTERM to the whole group, then SIGKILL after the process's grace period,
 * so no grandchild outlives the stack.
 *
 * With a restart policy a process that dies on its own (after its first start succeeded) is
 * reported — name, exit code or signal, last lines — and spawned again with exponential backoff
 * while the others keep running; `stopAll` ends pending restarts. Events (`exit`, `restart`,
 * `ready`), `pidOf` and `kill` let a chaos harness crash a named process and time its recovery.
 *
 * @example
 * ```ts
 * const supervisor = new Supervisor(log, process.stderr, { restart: { initialMs: 1_000, maxMs: 30_000 } });
 * await supervisor.start(temporalSpec);
 * supervisor.on('ready', (e) => e.restarted && console.log(`${e.name} back after ${e.afterMs} ms`));
 * supervisor.kill('temporal', 'SIGKILL');
 * ```
 */
export class Supervisor {
  private readonly running: Running[] = [];
  private readonly events = new EventEmitter<SupervisorEvents>();
  private failure: ((error: Error) => void) | undefined;
  private shuttingDown: Promise<void> | undefined;

  constructor(
    private readonly log: Logger,
    private readonly out: NodeJS.WritableStream = process.stderr,
    private readonly options: SupervisorOptions = {},
  ) {}

  /** Listens to deaths, restarts and readiness, e.g. to measure a recovery in a chaos run. */
  on<E extends keyof SupervisorEvents>(
    event: E,
    listener: (...args: SupervisorEvents[E]) => void,
  ): this {
    this.events.on(event, listener as never);
    return this;
  }

  /** The pid (and process group) of the named process's current child, if it is running. */
  pidOf(name: string): number | undefined {
    const entry = this.running.find((e) => e.spec.name === name);
    return entry && !entry.exited ? entry.pid : undefined;
  }

  /**
   * Sends `signal` to the named process's whole group (SIGKILL to crash it, SIGSTOP/SIGCONT to
   * freeze it). A death it causes is handled like any other: reported, and restarted under a
   * restart policy. False when no such process runs.
   */
  kill(name: string, signal: NodeJS.Signals): boolean {
    const pid = this.pidOf(name);
    if (pid === undefined) return false;
    signalGroup(pid, signal);
    return true;
  }

  /** Spawns `spec` and waits until its readiness check passes. */
  async start(spec: ProcessSpec): Promise<number> {
    for (const { port, role, variable, host } of spec.ports ?? []) {
      await assertPortFree(port, role, variable, host);
    }
    if (spec.prepare) await spec.prepare();
    const { child } = await this.spawn(spec);
    const entry: Running = {
      spec,
      child,
      pid: child.pid ?? 0,
      tail: [],
      startedAt: Date.now(),
      attempt: 0,
      started: false,
      stopping: false,
      exited: false,
    };
    this.running.push(entry);
    this.attach(entry);
    if (spec.ready) await this.waitReady(entry, spec.ready);
    this.events.emit('ready', {
      name: spec.name,
      pid: entry.pid,
      afterMs: Date.now() - entry.startedAt,
      restarted: false,
    });
    entry.started = true;
    return entry.pid;
  }

  /** Wrapped in an object: a returned execa child (a thenable) would be awaited to its end. */
  private async spawn(spec: ProcessSpec): Promise<{ child: Child }> {
    const { execa } = await loadExeca();
    const child = execa(spec.command, spec.args, {
      ...SPAWN_OPTIONS,
      ...(spec.env ? { env: spec.env } : {}),
      ...(spec.cwd ? { cwd: spec.cwd } : {}),
    }) as Child;
    if (child.pid === undefined) {
      await child;
      throw new StartupError(spec.name, `could not be spawned (${spec.command})`);
    }
    return { child };
  }

  /** Pipes the current child's output and handles its end. */
  private attach(entry: Running): void {
    const { spec, child } = entry;
    pipeWithPrefix(spec.name, child.stdout, this.out, entry.tail, spec.quiet);
    pipeWithPrefix(spec.name, child.stderr, this.out, entry.tail, spec.quiet);
    this.log.info(`started ${spec.name} (pid ${entry.pid})`);
    void child.then((result) => {
      if (entry.child !== child) return;
      entry.exited = true;
      if (entry.stopping) return;
      const how = result.signal ? `signal ${result.signal}` : `exit code ${result.exitCode}`;
      const upMs = Date.now() - entry.startedAt;
      this.events.emit('exit', {
        name: spec.name,
        pid: entry.pid,
        exitCode: result.exitCode,
        signal: result.signal,
        upMs,
        lastLines: [...entry.tail],
      });
      const policy = this.options.restart;
      // Before `start` returned, its caller reports the failure (exited before ready).
      if (!entry.started) return;
      if (!policy) {
        this.failure?.(new StartupError(spec.name, `exited unexpectedly (${how})`, entry.tail));
        return;
      }
      const last = entry.tail.slice(-10).map((line) => `    ${line}`);
      this.log.warn(
        [
          `${spec.name} (pid ${entry.pid}) died: ${how}, after ${formatDuration(upMs)}`,
          ...last,
        ].join('\n'),
      );
      if (upMs >= (policy.resetAfterMs ?? 30_000)) entry.attempt = 0;
      entry.restarting = this.restart(entry, policy).finally(() => {
        entry.restarting = undefined;
      });
    });
  }

  /** Waits out the backoff, then spawns the process again; a failed spawn is retried likewise. */
  private async restart(entry: Running, policy: RestartPolicy): Promise<void> {
    const { spec } = entry;
    while (!entry.stopping) {
      entry.attempt += 1;
      const delayMs = restartDelay(policy, entry.attempt);
      this.events.emit('restart', { name: spec.name, attempt: entry.attempt, delayMs });
      this.log.warn(
        `restarting ${spec.name} in ${formatDuration(delayMs)} (attempt ${entry.attempt})`,
      );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        entry.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      entry.wake = undefined;
      if (entry.stopping) return;
      // Whatever the dead process left in its group (a grandchild holding a port) goes first.
      signalGroup(entry.pid, 'SIGKILL');
      try {
        if (spec.prepare) await spec.prepare();
        const { child } = await this.spawn(spec);
        entry.child = child;
        entry.pid = child.pid ?? 0;
        entry.tail = [];
        entry.startedAt = Date.now();
        entry.exited = false;
        this.attach(entry);
      } catch (error) {
        this.log.warn(`${spec.name} could not be restarted: ${String(error)}`);
        continue;
      }
      void this.reportReady(entry);
      return;
    }
  }

  /** After a restart: logs and emits `ready` once the check passes (a death restarts again). */
  private async reportReady(entry: Running): Promise<void> {
    const { spec } = entry;
    const child = entry.child;
    try {
      if (spec.ready) await this.waitReady(entry, spec.ready);
    } catch (error) {
      if (entry.child === child && !entry.exited && !entry.stopping)
        this.log.warn(`${spec.name}: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (entry.child !== child || entry.stopping) return;
    this.events.emit('ready', {
      name: spec.name,
      pid: entry.pid,
      afterMs: Date.now() - entry.startedAt,
      restarted: true,
    });
  }

  private async waitReady(entry: Running, ready: NonNullable<ProcessSpec['ready']>): Promise<void> {
    const started = entry.startedAt;
    const child = entry.child;
    let lastProgress = Date.now();
    for (;;) {
      if (entry.exited || entry.child !== child) {
        throw new StartupError(entry.spec.name, 'exited before it became ready', entry.tail);
      }
      // A process that died while the check ran is not ready, whatever the check said.
      if ((await ready.check()) && !entry.exited && entry.child === child) break;
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

  /**
   * Resolves never; without a restart policy, rejects as soon as a supervised process dies on its
   * own (with one, deaths are restarted and reported through `on('exit')` instead).
   */
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
    entry.wake?.();
    await entry.restarting;
    if (entry.exited) return;
    const grace = entry.spec.stopTimeoutMs ?? 10_000;
    this.log.info(`stopping ${entry.spec.name} (pid ${entry.pid})`);
    signalGroup(entry.pid, 'SIGTERM');
    // A process frozen by kill(name, 'SIGSTOP') handles its SIGTERM only once it runs again.
    signalGroup(entry.pid, 'SIGCONT');
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

/** Signals a process's whole group; a group already gone is not an error. */
export function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}
