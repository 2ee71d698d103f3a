/**
 * The billing worker's `workflowsPath`: Temporal registers every function exported here as a
 * workflow type, so this file exports workflow functions and nothing else. The
 * reconcile workflow is hosted here too (see `RECONCILE_TASK_QUEUE`).
 */
export { subscription } from './subscription-workflow';
export { reconcile } from '../reconciliation/reconcile-workflow';
