import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';
import { traceLogFields, type Tracing } from './tracing';

/** `json` (one object a line, for log collectors) or `pretty` (a person at a terminal). */
export type LogFormat = 'json' | 'pretty';

export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

export interface AppLoggerOptions {
  /** The app's name, on every line as `service`. */
  readonly service: string;
  readonly level: string;
  readonly format: LogFormat;
  /** When set, every line logged inside a span carries its `trace_id` and `span_id`. */
  readonly tracing?: Tracing | undefined;
  /** Where lines go; standard output unless a test says otherwise. */
  readonly destination?: NodeJS.WritableStream;
}

/**
 * The apps' logger: pino, JSON in production; `pretty` prints one readable line per event
 * (time, level, message, then the fields), synchronously, so nothing is lost on exit.
 */
export function createAppLogger(options: AppLoggerOptions): Logger {
  const settings = {
    level: options.level,
    base: { service: options.service },
    ...(options.tracing ? { mixin: traceLogFields } : {}),
  };
  const destination = options.destination ?? process.stdout;
  if (options.format === 'json') return pino(settings, destination);
  return pino(
    settings,
    pretty({
      destination,
      sync: true,
      colorize: 'isTTY' in destination && destination.isTTY === true,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      messageFormat: '[{service}] {msg}',
      hideObject: false,
    }),
  );
}

/** What the Temporal SDK hands its logger: the shape of `@temporalio/worker`'s LogEntry. */
export interface SdkLogEntry {
  readonly level: string;
  readonly message: string;
  readonly meta?: Record<string, unknown> | undefined;
}

type PinoLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

/**
 * Forwards the Temporal SDK's log entries (the Runtime's `DefaultLogger` callback) to the app's
 * logger. The workflow bundler logs webpack's whole report at INFO, a page per start; here it is
 * one line (webpack's own summary, e.g. `webpack 5.x compiled successfully in 2345 ms`) and the
 * page goes to debug. A failed build keeps its whole report at error.
 */
export function forwardSdkLogs(logger: Logger): (entry: SdkLogEntry) => void {
  return (entry) => {
    const level = entry.level.toLowerCase() as PinoLevel;
    const meta = { ...entry.meta };
    const lines = stripAnsi(entry.message).split('\n');
    const summary = lines.findLast((line) => /\bwebpack [\d.]+ compiled\b/.test(line));
    if (level === 'info' && lines.length > 1 && summary !== undefined) {
      logger.info(meta, `workflow bundle: ${summary.trim()}`);
      logger.debug(meta, entry.message);
      return;
    }
    logger[level](meta, entry.message);
  };
}

function stripAnsi(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
