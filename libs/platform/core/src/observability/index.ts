export { createLogger, REDACTED_PATHS, type Logger, type LoggerOptions } from './logger.js';
export {
  PlatformMetrics,
  HTTP_DURATION_BUCKETS,
  BREAKER_STATE_VALUE,
  type DatabasePoolReader,
} from './metrics.js';
export { LogThrottle } from './log-throttle.js';
