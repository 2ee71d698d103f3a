export { toActivityFailure } from './to-activity-failure';
