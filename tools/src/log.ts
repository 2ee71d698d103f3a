import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import pc from 'picocolors';

const palette = [pc.cyan, pc.magenta, pc.yellow, pc.green, pc.blue, pc.red] as const;
const assigned = new Map<string, (s: string) => string>();

function colorFor(name: string): (s: string) => string {
  let color = assigned.get(name);
  if (!color) {
    color = palette[assigned.size % palette.length] ?? pc.white;
    assigned.set(name, color);
  }
  return color;
}

/** A named, colored prefix so interleaved output of several processes stays readable. */
export function prefix(name: string): string {
  return colorFor(name)(`[${name}]`.padEnd(18));
}

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The supervisor's own voice, prefixed like every process it runs. */
export function createLogger(name = 'stack', out: NodeJS.WritableStream = process.stderr): Logger {
  const write = (text: string) => out.write(`${prefix(name)} ${text}\n`);
  return {
    info: (m) => write(m),
    warn: (m) => write(pc.yellow(m)),
    error: (m) => write(pc.red(m)),
  };
}

/**
 * Copies a child's output line by line with its name in front, and keeps the last lines so a
 * process that dies during start-up can be explained without scrolling.
 */
export function pipeWithPrefix(
  name: string,
  stream: Readable | null | undefined,
  out: NodeJS.WritableStream,
  tail: string[],
  quiet?: RegExp,
): void {
  if (!stream) return;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    if (!quiet?.test(line)) out.write(`${prefix(name)} ${line}\n`);
  });
}

/** Formats milliseconds as `1 min 07 s` / `13.2 s`. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const min = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return `${min} min ${String(s).padStart(2, '0')} s`;
}
