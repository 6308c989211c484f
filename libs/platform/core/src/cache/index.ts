export { cacheKey } from './cache-key.js';
export { createRedisClient, type RedisClientOptions } from './redis-client.js';
export {
  createCache,
  CACHE_OPERATION,
  type Cache,
  type CachePing,
  type CreateCacheOptions,
} from './cache.js';
export { MemoryCache } from './memory-cache.js';
