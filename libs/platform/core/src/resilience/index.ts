export { RESILIENCE_PRESETS, type PresetName, type ResiliencePreset } from './presets.js';
export { retry, backoffDelay, type RetryOptions } from './retry.js';
export {
  Resilience,
  type BreakerState,
  type BreakerStatus,
  type ResilienceOptions,
  type WrapOptions,
} from './resilience.js';
