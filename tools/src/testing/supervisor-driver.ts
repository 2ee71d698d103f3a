/**
 * Drives a `Supervisor` from outside, for tests (execa is ESM-only, so the supervisor runs in
 * a process of its own under tsx, as the CLI does). Options as JSON in argv[2]; commands as JSON
 * lines on stdin; replies and the supervisor's events as JSON lines on stdout. SIGINT stops all,
 * like the CLI's Ctrl-C.
 *
 *   {"op":"start","name":"a","script":"setInterval(() => {}, 1000)"}  → {"op":"started","pid":…}
 *   {"op":"kill","name":"a","signal":"SIGKILL"}                       → {"op":"killed","ok":true}
 *   {"op":"pidOf","name":"a"}                                          → {"op":"pid","pid":…}
 *   {"op":"watch"}            (later, without a restart policy)        → {"op":"watchRejected",…}
 *   {"op":"stopAll"}                                                   → {"op":"stopped"}
 */
import { createInterface } from 'node:readline';
import type { Logger } from '../log';
import type { ProcessSpec } from '../servers/process-spec';
import { Supervisor, type SupervisorOptions } from '../supervisor';

const send = (message: object) => process.stdout.write(`${JSON.stringify(message)}\n`);
const log: Logger = {
  info: (m) => send({ log: 'info', message: m }),
  warn: (m) => send({ log: 'warn', message: m }),
  error: (m) => send({ log: 'error', message: m }),
};
const options = JSON.parse(process.argv[2] ?? '{}') as SupervisorOptions;
const supervisor = new Supervisor(log, process.stderr, options)
  .on('exit', (e) => send({ event: 'exit', ...e }))
  .on('restart', (e) => send({ event: 'restart', ...e }))
  .on('ready', (e) => send({ event: 'ready', ...e }));

/** A node child that prints `<name> up`, becomes ready at once, then runs `script`. */
function nodeChild(name: string, script: string): ProcessSpec {
  return {
    name,
    command: process.execPath,
    args: ['-e', `console.log(${JSON.stringify(`${name} up`)}); ${script}`],
    stopTimeoutMs: 5_000,
  };
}

interface Command {
  readonly op: string;
  readonly name?: string;
  readonly script?: string;
  readonly signal?: NodeJS.Signals;
}

async function handle(command: Command): Promise<void> {
  const name = command.name ?? '';
  switch (command.op) {
    case 'start':
      try {
        const spec = nodeChild(name, command.script ?? 'setInterval(() => undefined, 1000);');
        // "ready" once it printed its first line: a process that dies at once fails its start.
        const pid = await supervisor.start({
          ...spec,
          ready: {
            description: `${name} printed its first line`,
            check: () => new Promise((resolve) => setTimeout(() => resolve(true), 300)),
            timeoutMs: 10_000,
            intervalMs: 100,
          },
        });
        send({ op: 'started', name, pid });
      } catch (error) {
        send({
          op: 'error',
          name,
          message: error instanceof Error ? error.message : String(error),
        });
      }
      return;
    case 'kill':
      send({ op: 'killed', name, ok: supervisor.kill(name, command.signal ?? 'SIGKILL') });
      return;
    case 'pidOf':
      send({ op: 'pid', name, pid: supervisor.pidOf(name) ?? null });
      return;
    case 'watch':
      send({ op: 'watching' });
      supervisor.watch().catch((error: unknown) => {
        send({
          op: 'watchRejected',
          message: error instanceof Error ? error.message : String(error),
        });
      });
      return;
    case 'stopAll':
      await supervisor.stopAll();
      send({ op: 'stopped' });
      return;
  }
}

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => void handle(JSON.parse(line) as Command));
process.on('SIGINT', () => {
  void supervisor.stopAll().then(() => {
    send({ op: 'stopped' });
    process.exit(130);
  });
});
