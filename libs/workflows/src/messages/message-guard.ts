import { log, setDefaultSignalHandler } from '@temporalio/workflow';
import { isUndecodable } from './undecodable';

/** Messages an entity refused, by why: counted, reported by its query, carried across runs. */
export interface RejectedMessages {
  /** A payload the converter could not decode (unknown encoding, broken JSON). */
  readonly undecodable: number;
  /** Decoded, but not what the message takes (wrong shape, out of bounds). */
  readonly malformed: number;
  /** A signal name the workflow does not handle. */
  readonly unknown: number;
}

export const NO_REJECTED_MESSAGES: RejectedMessages = { undecodable: 0, malformed: 0, unknown: 0 };

/**
 * The one mechanism by which no message can stop an entity workflow. A signal cannot be refused
 * to its sender, so every signal handler goes through {@link MessageGuard.signal}: an argument
 * that could not be decoded, or that `problem` finds malformed, is counted and logged, and the
 * handler is not called. Signals of unknown names are counted too. Updates keep their validators
 * (a refusal there reaches the caller and leaves no history); the SDK already rejects an Update
 * whose arguments it cannot decode.
 *
 * @example
 * ```ts
 * const guard = createMessageGuard(input.state?.rejected);
 * setHandler(notifyPurchaseSignal, guard.signal('notify-purchase', purchaseProblem, (p) => queue.push(p)));
 * setHandler(getPointsQuery, () => ({ ..., rejected: guard.rejected() }));
 * guard.rejectUnknownSignals();
 * ```
 */
export interface MessageGuard {
  /** Wraps a signal handler: undecodable or malformed arguments are counted, never handled. */
  signal<Args extends unknown[]>(
    name: string,
    problem: ((...args: unknown[]) => string | null) | null,
    handler: (...args: Args) => void,
  ): (...args: unknown[]) => void;
  /**
   * Counts signals of names no handler takes. Call after every `setHandler`: a default handler
   * installed earlier would take the signals buffered before those handlers exist (those that
   * arrived with the start) as unknown.
   */
  rejectUnknownSignals(): void;
  /** The counts so far (to answer queries and to carry across continue-as-new). */
  rejected(): RejectedMessages;
  /** Total of every kind. */
  total(): number;
}

/**
 * Creates the guard. Call once, at the top of the workflow function, and
 * `rejectUnknownSignals()` once its handlers are set; `onReject` lets the workflow mark its state
 * changed (the counts are state).
 */
export function createMessageGuard(
  carried?: RejectedMessages,
  onReject?: (kind: keyof RejectedMessages) => void,
): MessageGuard {
  let counts: RejectedMessages = { ...NO_REJECTED_MESSAGES, ...carried };
  const reject = (kind: keyof RejectedMessages, name: string, detail: string) => {
    counts = { ...counts, [kind]: counts[kind] + 1 };
    log.warn('message rejected', { message: name, kind, detail });
    onReject?.(kind);
  };

  return {
    rejectUnknownSignals() {
      setDefaultSignalHandler((name: string) =>
        reject('unknown', name, 'no handler for this signal'),
      );
    },
    signal(name, problem, handler) {
      return (...args: unknown[]) => {
        const bad = args.find(isUndecodable);
        if (bad) return reject('undecodable', name, JSON.stringify(bad));
        const why = problem?.(...args) ?? null;
        if (why !== null) return reject('malformed', name, why);
        handler(...(args as Parameters<typeof handler>));
      };
    },
    rejected: () => counts,
    total: () => counts.undecodable + counts.malformed + counts.unknown,
  };
}
