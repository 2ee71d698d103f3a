import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { REPO_ROOT } from './paths';
import type { RestartPolicy } from './supervisor';
import { restartDelay } from './supervisor';
import { isAlive, waitFor } from './testing/processes';

type Message = Record<string, unknown> & { op?: string; event?: string; log?: string };

/** A Supervisor in a process of its own (testing/supervisor-driver.ts), driven by JSON lines. */
class Driven {
  readonly messages: Message[] = [];
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<number | null>;

  constructor(options: { restart?: RestartPolicy }) {
    this.child = spawn(
      process.execPath,
      [
        '--conditions=@invincible/source',
        '--import',
        'tsx',
        join(REPO_ROOT, 'tools', 'src', 'testing', 'supervisor-driver.ts'),
        JSON.stringify(options),
      ],
      { cwd: REPO_ROOT, detached: true },
    );
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      try {
        this.messages.push(JSON.parse(line) as Message);
      } catch {
        // not ours
      }
    });
    this.child.stderr.resume();
    this.exited = new Promise((resolve) => this.child.once('exit', resolve));
  }

  /** Sends a command and waits for the first new message matching `until`. */
  async send(command: object, until: (m: Message) => boolean, timeoutMs = 20_000) {
    const from = this.messages.length;
    this.child.stdin.write(`${JSON.stringify(command)}\n`);
    await waitFor(JSON.stringify(command), () => this.messages.slice(from).some(until), timeoutMs);
    return this.messages.slice(from).find(until) as Message;
  }

  events(kind: string): Message[] {
    return this.messages.filter((m) => m.event === kind);
  }

  logText(): string {
    return this.messages
      .filter((m) => m.log)
      .map((m) => String(m['message']))
      .join('\n');
  }

  kill(): void {
    if (this.child.pid !== undefined && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
}

const started = (name: string) => (m: Message) =>
  (m.op === 'started' || m.op === 'error') && m['name'] === name;

describe('the supervisor restarts what dies (restart policy)', () => {
  jest.setTimeout(90_000);
  const drivers: Driven[] = [];
  const driven = (options: { restart?: RestartPolicy }) => {
    const d = new Driven(options);
    drivers.push(d);
    return d;
  };
  afterAll(() => drivers.forEach((d) => d.kill()));

  it('restarts a process that dies, reports it with its last lines, and leaves the others running', async () => {
    const s = driven({ restart: { initialMs: 200, maxMs: 1_000, resetAfterMs: 60_000 } });
    const a = Number((await s.send({ op: 'start', name: 'a' }, started('a')))['pid']);
    const b = Number((await s.send({ op: 'start', name: 'b' }, started('b')))['pid']);
    expect(isAlive(a) && isAlive(b)).toBe(true);

    await s.send({ op: 'kill', name: 'a', signal: 'SIGKILL' }, (m) => m.op === 'killed');
    await waitFor(
      'a restarted and ready',
      () => s.events('ready').some((e) => e['restarted']),
      20_000,
    );
    const again = Number((await s.send({ op: 'pidOf', name: 'a' }, (m) => m.op === 'pid'))['pid']);

    expect(again).not.toBe(a);
    expect(isAlive(again)).toBe(true);
    expect(isAlive(a)).toBe(false);
    expect(isAlive(b)).toBe(true); // the rest kept running, untouched
    expect(s.events('exit')).toEqual([
      expect.objectContaining({ name: 'a', pid: a, signal: 'SIGKILL', lastLines: ['a up'] }),
    ]);
    expect(s.events('restart')).toEqual([
      expect.objectContaining({ name: 'a', attempt: 1, delayMs: 200 }),
    ]);
    expect(s.logText()).toMatch(/a \(pid \d+\) died: signal SIGKILL, after [^\n]+\n\s+a up/);
    expect(s.logText()).toMatch(/restarting a in 0\.2 s \(attempt 1\)/);

    // Ctrl-C stops everything, the restarted process included.
    process.kill(s.child.pid ?? 0, 'SIGINT');
    expect(await s.exited).toBe(130);
    await waitFor('every child to exit', () => !isAlive(again) && !isAlive(b), 10_000);
  });

  it('backs off exponentially up to the cap while a process keeps dying', async () => {
    const s = driven({ restart: { initialMs: 100, maxMs: 400, resetAfterMs: 60_000 } });
    // Each run dies 500 ms after its start (after its readiness), long before a reset.
    await s.send(
      { op: 'start', name: 'flaky', script: 'setTimeout(() => process.exit(3), 500);' },
      started('flaky'),
    );
    await waitFor('four restarts', () => s.events('restart').length >= 4, 40_000);
    const restarts = s.events('restart').slice(0, 4);
    expect(restarts.map((r) => r['delayMs'])).toEqual([100, 200, 400, 400]);
    expect(restarts.map((r) => r['attempt'])).toEqual([1, 2, 3, 4]);
    expect(s.events('exit').every((e) => e['exitCode'] === 3)).toBe(true);
    await s.send({ op: 'stopAll' }, (m) => m.op === 'stopped');
  });

  it('stopAll cancels a pending restart instead of waiting it out', async () => {
    const s = driven({ restart: { initialMs: 60_000, maxMs: 60_000 } });
    const a = Number((await s.send({ op: 'start', name: 'a' }, started('a')))['pid']);
    const b = Number((await s.send({ op: 'start', name: 'b' }, started('b')))['pid']);
    await s.send({ op: 'kill', name: 'a', signal: 'SIGKILL' }, (m) => m.op === 'killed');
    await waitFor('the restart to be scheduled', () => s.events('restart').length === 1, 10_000);
    // Well under the 60 s restart delay (the test's own timeout bounds it).
    await s.send({ op: 'stopAll' }, (m) => m.op === 'stopped', 30_000);
    expect(isAlive(a) || isAlive(b)).toBe(false);
    expect(s.events('ready').filter((e) => e['restarted'])).toEqual([]);
  });

  it('stops a process frozen with SIGSTOP by its SIGTERM, not by the SIGKILL fallback', async () => {
    const s = driven({ restart: { initialMs: 100, maxMs: 100 } });
    const a = Number((await s.send({ op: 'start', name: 'a' }, started('a')))['pid']);
    await s.send({ op: 'kill', name: 'a', signal: 'SIGSTOP' }, (m) => m.op === 'killed');
    await s.send({ op: 'stopAll' }, (m) => m.op === 'stopped');
    expect(isAlive(a)).toBe(false);
    expect(s.logText()).not.toMatch(/did not stop within/);
    expect(s.events('exit')).toEqual([]); // a stop is no death: nothing restarted
  });

  it('still fails the start of a process that cannot even start, and does not restart it', async () => {
    const s = driven({ restart: { initialMs: 100, maxMs: 100 } });
    const reply = await s.send(
      { op: 'start', name: 'broken', script: "console.log('bad config'); process.exit(1);" },
      started('broken'),
    );
    expect(reply).toMatchObject({ op: 'error' });
    expect(String(reply['message'])).toMatch(/broken: exited before it became ready/);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(s.events('restart')).toEqual([]);
    await s.send({ op: 'stopAll' }, (m) => m.op === 'stopped');
  });

  it('without a policy, a death rejects watch() as before', async () => {
    const s = driven({});
    await s.send({ op: 'start', name: 'a' }, started('a'));
    await s.send({ op: 'watch' }, (m) => m.op === 'watching');
    const rejected = await s.send(
      { op: 'kill', name: 'a', signal: 'SIGKILL' },
      (m) => m.op === 'watchRejected',
    );
    expect(String(rejected['message'])).toMatch(/a: exited unexpectedly \(signal SIGKILL\)/);
    expect(s.events('restart')).toEqual([]);
    await s.send({ op: 'stopAll' }, (m) => m.op === 'stopped');
  });
});

describe('restartDelay', () => {
  it('doubles from initialMs and is capped at maxMs', () => {
    const policy = { initialMs: 1_000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6, 7].map((n) => restartDelay(policy, n))).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000,
    ]);
  });
});
