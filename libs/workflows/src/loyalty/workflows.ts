/**
 * The loyalty worker's `workflowsPath`: Temporal registers every function exported here as a
 * workflow type, so this file exports workflow functions and nothing else.
 */
export { loyaltyProgram } from './loyalty-workflow';
