/** How the supervisor runs one long-lived process. */
export interface ProcessSpec {
  /** Short name used as the log prefix, e.g. `cassandra`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /**
   * Ports it will bind (on 127.0.0.1 unless `host` says which loopback address), checked before
   * start so a clash names the port and role.
   */
  readonly ports?: readonly { port: number; role: string; variable?: string; host?: string }[];
  /**
   * One-shot work the process needs first (a schema migration), run after the port checks and
   * before the spawn; its error stops the start as it is (a one-line StackError).
   */
  readonly prepare?: () => Promise<void>;
  /** Polled until true; the process counts as started only then. */
  readonly ready?: {
    readonly description: string;
    readonly check: () => Promise<boolean>;
    readonly timeoutMs: number;
    readonly intervalMs?: number;
  };
  /** How long SIGTERM may take before SIGKILL. */
  readonly stopTimeoutMs?: number;
  /** Lines matching this are not echoed (they still go to the start-up tail). */
  readonly quiet?: RegExp;
}
