/**
 * Fault injection for the ports the activities use (repository, payment gateway, mailer): a
 * decorator that, on a seeded schedule, makes a call fail the ways production calls fail —
 * including the one that loses money: the write was applied and the answer was lost.
 *
 * Test code only (`@invincible/activities/testing`).
 */

/**
 * - `fail-before`: throws a retryable error; nothing was applied.
 * - `apply-then-fail`: applies the call, then throws a retryable timeout (the ambiguous outcome
 *   of a write timeout whose write landed, a worker killed after the write, a 429 after commit).
 * - `apply-late`: throws a retryable timeout now and applies the call a moment later, as an
 *   attempt that outlived its start-to-close timeout does — its write lands after the retry began.
 * - `unavailable`: the port reports itself unavailable (a retryable error of the port's own type).
 */
export type FaultKind = 'fail-before' | 'apply-then-fail' | 'apply-late' | 'unavailable';

export const FAULT_KINDS: readonly FaultKind[] = [
  'fail-before',
  'apply-then-fail',
  'apply-late',
  'unavailable',
];

/** One call the decorator saw: which port and method, and its sequence number in the run. */
export interface PortCall {
  readonly port: string;
  readonly method: string;
  readonly seq: number;
}

/** Decides, call by call, whether and how a call fails. */
export interface FaultPlan {
  decide(call: PortCall): FaultKind | null;
}

/** What happened under a plan: calls seen, faults injected by kind, late writes still pending. */
export class FaultLog {
  calls = 0;
  readonly injected: Record<FaultKind, number> = {
    'fail-before': 0,
    'apply-then-fail': 0,
    'apply-late': 0,
    unavailable: 0,
  };
  readonly byMethod = new Map<string, number>();
  private readonly late = new Set<Promise<unknown>>();

  get faults(): number {
    return Object.values(this.injected).reduce((a, b) => a + b, 0);
  }

  record(call: PortCall, kind: FaultKind): void {
    this.injected[kind]++;
    const key = `${call.port}.${call.method}`;
    this.byMethod.set(key, (this.byMethod.get(key) ?? 0) + 1);
  }

  track(late: Promise<unknown>): void {
    this.late.add(late);
    void late.finally(() => this.late.delete(late));
  }

  /** Resolves once every late write has landed (or failed): check invariants after this. */
  async settled(): Promise<void> {
    while (this.late.size > 0) await Promise.allSettled([...this.late]);
  }
}

/** A small, fast, seeded PRNG (mulberry32): the same seed gives the same schedule. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface SeededFaultsOptions {
  readonly seed: number;
  /** Share of calls that fail (0..1). */
  readonly rate: number;
  readonly kinds?: readonly FaultKind[];
  /** Only calls for which this holds can fail (default: every call). */
  readonly where?: (call: PortCall) => boolean;
  /** Never more than this many faults in a row on one method, so retries make progress. */
  readonly maxConsecutive?: number;
}

/** A plan that fails a seeded share of calls, choosing the kind at random too. */
export function seededFaults(options: SeededFaultsOptions): FaultPlan {
  const random = seededRandom(options.seed);
  const kinds = options.kinds ?? FAULT_KINDS;
  const maxConsecutive = options.maxConsecutive ?? 3;
  const streak = new Map<string, number>();
  return {
    decide(call) {
      const key = `${call.port}.${call.method}`;
      const roll = random();
      const pick = kinds[Math.floor(random() * kinds.length)] ?? null;
      if (options.where && !options.where(call)) return null;
      if (roll >= options.rate || (streak.get(key) ?? 0) >= maxConsecutive) {
        streak.set(key, 0);
        return null;
      }
      streak.set(key, (streak.get(key) ?? 0) + 1);
      return pick;
    },
  };
}

/** A plan that fails exactly the listed calls (`port.method#n`, n counting from 1 per method). */
export function scriptedFaults(script: Readonly<Record<string, FaultKind>>): FaultPlan {
  const counts = new Map<string, number>();
  return {
    decide(call) {
      const key = `${call.port}.${call.method}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      return script[`${key}#${n}`] ?? null;
    },
  };
}

export interface InjectOptions {
  readonly plan: FaultPlan;
  readonly log: FaultLog;
  /** The retryable error this port throws when unavailable or timed out. */
  readonly error: (kind: FaultKind, call: PortCall) => Error;
  /** How long after its failed answer an `apply-late` call is applied (default 20 ms). */
  readonly lateMs?: number;
}

let sequence = 0;

/**
 * Wraps every function member of `target` (one level: a port) so that each call may fail as the
 * plan says. Non-function members are passed through.
 *
 * @example
 * ```ts
 * const log = new FaultLog();
 * const plan = seededFaults({ seed: 7, rate: 0.2 });
 * const purchases = injectFaults(repo.purchases, 'purchases', {
 *   plan, log, error: (kind) => new UnavailableError('faults', kind),
 * });
 * ```
 */
export function injectFaults<T extends object>(target: T, port: string, options: InjectOptions): T {
  const lateMs = options.lateMs ?? 20;
  return new Proxy(target, {
    get(object, property, receiver) {
      const member: unknown = Reflect.get(object, property, receiver);
      if (typeof member !== 'function' || typeof property !== 'string') return member;
      return async (...args: unknown[]) => {
        const call: PortCall = { port, method: property, seq: ++sequence };
        options.log.calls++;
        const kind = options.plan.decide(call);
        const apply = () => (member as (...a: unknown[]) => Promise<unknown>).apply(object, args);
        if (kind === null) return apply();
        options.log.record(call, kind);
        switch (kind) {
          case 'fail-before':
          case 'unavailable':
            throw options.error(kind, call);
          case 'apply-then-fail':
            // The answer is lost whether the write succeeded or not.
            await apply().catch(() => undefined);
            throw options.error(kind, call);
          case 'apply-late':
            options.log.track(
              new Promise((resolve) => setTimeout(resolve, lateMs))
                .then(apply)
                .catch(() => undefined),
            );
            throw options.error(kind, call);
        }
      };
    },
  });
}
