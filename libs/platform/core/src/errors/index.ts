export * from './service-error.js';
export { isDependencyOutage } from './dependency-outage.js';
