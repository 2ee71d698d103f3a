/**
 * The loyalty worker's `workflowsPath`: Temporal registers every function exported here as a
 * workflow type, so this file exports workflow functions and nothing else. It runs in the
 * workflow sandbox: only `@temporalio/workflow`, `@temporalio/common` and type-only imports
 * may appear in anything it imports (enforced by lint and by the bundle test).
 */
export {};
