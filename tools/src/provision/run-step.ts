import { ProvisionError } from '../errors';
import { loadExeca } from '../execa';
import { formatDuration, pipeWithPrefix, type Logger } from '../log';

export interface StepOptions {
  readonly name: string;
  readonly what: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  readonly log: Logger;
  readonly out?: NodeJS.WritableStream;
}

/**
 * Runs one provisioning command with its output prefixed, a progress line every 15 s (cold
 * builds take minutes), and a one-line error naming the step when it fails.
 */
export async function runStep(options: StepOptions): Promise<void> {
  const { log, name, what } = options;
  const started = Date.now();
  log.info(`${what}…`);
  const ticker = setInterval(
    () => log.info(`${what}… ${formatDuration(Date.now() - started)}`),
    15_000,
  );
  const tail: string[] = [];
  try {
    const { execa } = await loadExeca();
    const child = execa(options.command, options.args, {
      env: options.env,
      cwd: options.cwd,
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      reject: false,
      cleanup: true,
    });
    const out = options.out ?? process.stderr;
    pipeWithPrefix(name, child.stdout, out, tail);
    pipeWithPrefix(name, child.stderr, out, tail);
    const result = await child;
    if (result.failed) {
      throw new ProvisionError(
        `${what} failed (${result.exitCode !== undefined ? `exit ${result.exitCode}` : (result.signal ?? 'error')}): ` +
          (tail.at(-1) ?? result.shortMessage),
      );
    }
    log.info(`${what}: done in ${formatDuration(Date.now() - started)}`);
  } finally {
    clearInterval(ticker);
  }
}
