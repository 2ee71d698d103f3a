/** Test support of the activities lib (`@invincible/activities/testing`); never imported by production code. */
export {
  FAULT_KINDS,
  FaultLog,
  injectFaults,
  scriptedFaults,
  seededFaults,
  seededRandom,
} from './faults/fault-injection';
export type {
  FaultKind,
  FaultPlan,
  InjectOptions,
  PortCall,
  SeededFaultsOptions,
} from './faults/fault-injection';
