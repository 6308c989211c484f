/**
 * Injection tokens for the platform's providers whose types are interfaces (classes are their
 * own tokens: `Database`, `PlatformMetrics`, `Resilience`, `TokenVerifier`, `IdempotencyStore`).
 */
export const PLATFORM_CONFIG = Symbol('nomaly.platform.config');
export const PLATFORM_LOGGER = Symbol('nomaly.platform.logger');
export const PLATFORM_CACHE = Symbol('nomaly.platform.cache');
export const PLATFORM_RATE_LIMITER = Symbol('nomaly.platform.rate-limiter');
export const PLATFORM_REDIS = Symbol('nomaly.platform.redis');
export const PLATFORM_SERVICE_INFO = Symbol('nomaly.platform.service-info');

/** What a service says about itself on `/status` and in its OpenAPI document. */
export interface ServiceInfo {
  readonly title: string;
  readonly description: string;
  readonly version: string;
}
