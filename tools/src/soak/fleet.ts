import { Writable } from 'node:stream';
import { formatDuration, type Logger } from '../log';
import type { ProcessSpec } from '../servers/process-spec';
import { signalGroup, Supervisor } from '../supervisor';
import { isAlive } from '../testing/processes';

/** What happened to a process of the fleet, for the report. */
export interface FleetEvent {
  readonly at: number;
  readonly process: string;
  readonly kind: 'killed' | 'stopped' | 'continued' | 'restarted' | 'died';
  /** For `restarted`: how long from the fault (or death) until it was ready again. */
  readonly recoveryMs?: number;
}

/**
 * The soak's processes: servers and app replicas, each under the development supervisor, with
 * what a chaos harness needs on top — SIGKILL or SIGSTOP one by name, restart it, and notice a
 * process that died on its own (a bug: every app must outlive its servers' outages).
 *
 * Every process's output goes to `out` (a log file) through a tap that remembers the lines, so
 * a worker replica's readiness can be its own "worker polling" line (the task queue already has
 * the other replica's pollers).
 */
export class Fleet {
  private readonly supervisor: Supervisor;
  private readonly pids = new Map<string, number>();
  private readonly specs = new Map<string, () => ProcessSpec>();
  private readonly downSince = new Map<string, number>();
  private readonly tap: LineTap;
  private watcher: NodeJS.Timeout | undefined;
  private stopping = false;
  readonly events: FleetEvent[] = [];

  constructor(
    private readonly log: Logger,
    out: NodeJS.WritableStream,
  ) {
    this.tap = new LineTap(out);
    this.supervisor = new Supervisor(log, this.tap);
  }

  /** Lines `name` wrote since `since` (epoch ms), for readiness checks on output. */
  linesOf(name: string, since: number): string[] {
    return this.tap.linesOf(name, since);
  }

  /** Starts (and registers) a process; `spec` is called on every (re)start. */
  async start(name: string, spec: () => ProcessSpec): Promise<void> {
    this.specs.set(name, spec);
    const pid = await this.supervisor.start({ ...spec(), name });
    this.pids.set(name, pid);
  }

  names(): string[] {
    return [...this.specs.keys()];
  }

  /** Watches for processes that die on their own: each is reported and restarted. */
  watch(onDeath: (event: FleetEvent) => void): void {
    this.watcher = setInterval(() => {
      if (this.stopping) return;
      for (const [name, pid] of this.pids) {
        if (this.downSince.has(name) || isAlive(pid)) continue;
        const event: FleetEvent = { at: Date.now(), process: name, kind: 'died' };
        this.events.push(event);
        onDeath(event);
        this.downSince.set(name, Date.now());
        void this.restart(name).catch((error: unknown) =>
          this.log.error(`${name} did not come back: ${String(error)}`),
        );
      }
    }, 1_000);
  }

  /** SIGKILL of the whole process group; the process stays down until `restart`. */
  kill(name: string): void {
    this.signal(name, 'SIGKILL');
    this.downSince.set(name, Date.now());
    this.events.push({ at: Date.now(), process: name, kind: 'killed' });
  }

  /** SIGSTOP: the process is frozen (its sockets stay open and stop answering). */
  freeze(name: string): void {
    this.signal(name, 'SIGSTOP');
    this.events.push({ at: Date.now(), process: name, kind: 'stopped' });
  }

  thaw(name: string): void {
    this.signal(name, 'SIGCONT');
    this.events.push({ at: Date.now(), process: name, kind: 'continued' });
  }

  /** Starts a killed (or dead) process again and waits until it is ready. */
  async restart(name: string): Promise<number> {
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`no process ${name}`);
    const since = this.downSince.get(name) ?? Date.now();
    const pid = await this.supervisor.start({ ...spec(), name });
    this.pids.set(name, pid);
    this.downSince.delete(name);
    const recoveryMs = Date.now() - since;
    this.events.push({ at: Date.now(), process: name, kind: 'restarted', recoveryMs });
    this.log.info(`${name} back after ${formatDuration(recoveryMs)}`);
    return recoveryMs;
  }

  async stopAll(): Promise<void> {
    this.stopping = true;
    if (this.watcher) clearInterval(this.watcher);
    // A frozen process cannot handle SIGTERM: thaw everything first.
    for (const pid of this.pids.values()) signalGroup(pid, 'SIGCONT');
    await this.supervisor.stopAll();
  }

  private signal(name: string, signal: NodeJS.Signals): void {
    const pid = this.pids.get(name);
    if (pid === undefined) throw new Error(`no process ${name}`);
    signalGroup(pid, signal);
  }
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/** Forwards the supervisor's prefixed output and keeps recent lines per process name. */
class LineTap extends Writable {
  private pending = '';
  private readonly lines = new Map<string, { at: number; line: string }[]>();

  constructor(private readonly out: NodeJS.WritableStream) {
    super();
  }

  override _write(chunk: Buffer, _encoding: string, done: () => void): void {
    this.out.write(chunk);
    this.pending += chunk.toString();
    const parts = this.pending.split('\n');
    this.pending = parts.pop() ?? '';
    for (const raw of parts) {
      const line = raw.replace(ANSI, '');
      const match = /^\[([^\]]+)\]/.exec(line);
      if (!match?.[1]) continue;
      const kept = this.lines.get(match[1]) ?? [];
      kept.push({ at: Date.now(), line });
      if (kept.length > 200) kept.splice(0, kept.length - 200);
      this.lines.set(match[1], kept);
    }
    done();
  }

  linesOf(name: string, since: number): string[] {
    return (this.lines.get(name) ?? []).filter((l) => l.at >= since).map((l) => l.line);
  }
}
