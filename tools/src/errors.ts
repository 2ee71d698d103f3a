/** Base of the stack's own errors: each one is printed as a single actionable line. */
export abstract class StackError extends Error {}

/** A port the stack needs is taken by another process. */
export class PortInUseError extends StackError {
  override readonly name = 'PortInUseError';
  constructor(
    readonly port: number,
    readonly role: string,
    readonly variable: string | undefined,
    readonly host = '127.0.0.1',
  ) {
    super(
      `port ${port} (${role}) is already in use on ${host}` +
        (variable ? `: stop what holds it, or choose another port with ${variable}=<port>` : ''),
    );
  }
}

/** A toolchain needed to provision a server is not installed. */
export class MissingToolError extends StackError {
  override readonly name = 'MissingToolError';
  constructor(
    readonly tool: string,
    readonly hint: string,
  ) {
    super(`${tool} was not found. ${hint}`);
  }
}

/** A provisioning step (go install, mvn) failed. */
export class ProvisionError extends StackError {
  override readonly name = 'ProvisionError';
}

/** A process exited before it became ready, or never became ready in time. */
export class StartupError extends StackError {
  override readonly name = 'StartupError';
  constructor(
    readonly process: string,
    message: string,
    readonly lastLines: readonly string[] = [],
  ) {
    super(`${process}: ${message}`);
  }
}

/** Temporal's Cassandra cannot be used: unreachable, refused, or holding another schema. */
export class TemporalPersistenceError extends StackError {
  override readonly name = 'TemporalPersistenceError';
}

/** The stack's Temporal lacks a search attribute the workflows set, and it cannot be added. */
export class SearchAttributesSetupError extends StackError {
  override readonly name = 'SearchAttributesSetupError';
}
